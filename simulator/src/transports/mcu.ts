/**
 * What a simulated MCU puts on its UART, as bytes: the contracts' frames with a per-sender
 * u16 sequence number, reading times in ms since the MCU booted, and the line faults
 * (garbage, CRC errors). Pure: the serial transport writes its output to a pty, tests
 * compare it byte for byte.
 */
import { cobsDecode, cobsEncode, crc32, encodeFrame, type FrameInput } from "@fieldline/firmware-contracts";
import type { SimDevice } from "../run/fleet";
import type { OutboundBatch } from "./transport";

function terminated(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length + 1);
  out.set(bytes);
  return out;
}

export class McuFramer {
  private seq = 0;
  private bootTime = 0;

  constructor(readonly device: SimDevice) {}

  /** Seq of the frame built last. */
  get lastSeq(): number {
    return (this.seq + 0xffff) & 0xffff;
  }

  private frame(f: Omit<FrameInput, "seq">): Uint8Array {
    const bytes = encodeFrame({ ...f, seq: this.seq } as FrameInput);
    this.seq = (this.seq + 1) & 0xffff;
    return bytes;
  }

  /**
   * A boot: hello (firmware, sensors with units, a boot id new at every boot) and a `boot`
   * event; MCU time restarts at 0. The boot id is a CRC-32 of device id and boot time, so a
   * run is reproducible.
   */
  boot(t: number): Uint8Array[] {
    this.bootTime = t;
    this.seq = 0;
    const sensors = this.device.sensors.map((s) => ({ id: s.id, unit: s.unit ?? "1", ...(s.kind ? { kind: s.kind } : {}) }));
    const boot = crc32(new TextEncoder().encode(`${this.device.id}/${t}`));
    return [this.frame({ type: "hello", body: { firmware: this.device.firmware, sensors, boot } }), this.frame({ type: "event", body: { type: "boot", t: 0 } })];
  }

  /** One readings frame; a reading stamped before the boot (negative skew) goes without `t`. */
  readings(b: OutboundBatch): Uint8Array {
    const readings = b.readings.map((r) => {
      const t = r.t - this.bootTime;
      return { sensor: r.sensor, value: r.value, ...(t >= 0 ? { t } : {}), ...(r.q !== undefined ? { q: r.q } : {}) };
    });
    return this.frame({ type: "readings", body: { readings } });
  }

  /** Random bytes followed by a delimiter, so the next genuine frame still decodes. */
  garbage(bytes: Uint8Array): Uint8Array {
    return terminated(bytes);
  }

  /** A readings frame with one CRC bit flipped (re-encoded, so the COBS layer is valid). */
  badCrc(b: OutboundBatch): Uint8Array {
    const raw = cobsDecode(this.readings(b).subarray(0, -1))!;
    raw[raw.length - 1]! ^= 0x01;
    return terminated(cobsEncode(raw));
  }
}
