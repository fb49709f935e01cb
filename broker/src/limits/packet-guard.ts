/**
 * Maximum MQTT packet size, enforced before Aedes buffers a packet. It taps the bytes Aedes
 * reads (a 'data' listener next to Aedes' 'readable' one sees each chunk read() returns,
 * without changing the flow) and walks the fixed headers (MQTT-2.2: type byte, then a
 * variable-length Remaining Length). A packet announcing more than the limit closes the
 * connection at once, before its body arrives. State is four numbers per connection.
 */
import type { Duplex } from "node:stream";

export function guardPacketSize(conn: Duplex, maxBytes: number, onOversize: (announced: number) => void): void {
  let skip = 0; // body bytes of the current packet still to pass
  let headerBytes = 0; // fixed-header bytes seen of the next packet (0: expecting its type byte)
  let len = 0; // Remaining Length decoded so far
  let mult = 1;
  conn.on("data", (chunk: Buffer) => {
    let i = 0;
    while (i < chunk.length) {
      if (skip > 0) {
        const n = Math.min(skip, chunk.length - i);
        skip -= n;
        i += n;
        continue;
      }
      const b = chunk[i++]!;
      if (headerBytes++ === 0) continue; // packet type and flags
      len += (b & 0x7f) * mult;
      mult *= 128;
      if (b & 0x80) {
        if (headerBytes > 4) return fail(Infinity); // MQTT-2.2.3: at most four length bytes
        continue;
      }
      const total = headerBytes + len;
      if (total > maxBytes) return fail(total);
      skip = len;
      headerBytes = 0;
      len = 0;
      mult = 1;
    }
  });
  function fail(announced: number): void {
    onOversize(announced);
    conn.destroy();
  }
}
