/**
 * Maximum MQTT packet size, enforced before Aedes buffers a packet. It taps the bytes Aedes
 * reads (a 'data' listener next to Aedes' 'readable' one sees each chunk read() returns,
 * without changing the flow) and walks the fixed headers (MQTT-2.2: type byte, then a
 * variable-length Remaining Length). A packet announcing more than the limit closes the
 * connection at once, before its body arrives.
 */
import type { Duplex } from "node:stream";

export function guardPacketSize(conn: Duplex, maxBytes: number, onOversize: (announced: number) => void): void {
  let skip = 0; // body bytes of the current packet still to pass
  let header: number[] = []; // bytes of a fixed header split across chunks
  conn.on("data", (chunk: Buffer) => {
    let i = 0;
    while (i < chunk.length) {
      if (skip > 0) {
        const n = Math.min(skip, chunk.length - i);
        skip -= n;
        i += n;
        continue;
      }
      header.push(chunk[i++]!);
      if (header.length === 1) continue;
      const last = header[header.length - 1]!;
      if (last & 0x80) {
        if (header.length > 4) return fail(Infinity); // MQTT-2.2.3: at most four length bytes
        continue;
      }
      let len = 0;
      for (let k = header.length - 1; k >= 1; k--) len = len * 128 + (header[k]! & 0x7f);
      const total = header.length + len;
      header = [];
      if (total > maxBytes) return fail(total);
      skip = len;
    }
  });
  function fail(announced: number): void {
    onOversize(announced);
    conn.destroy();
  }
}
