/**
 * Modbus RTU frames for reading registers (Modbus Application Protocol V1.1b3 §6.3, §6.4,
 * §7): request [unit, fc, addrHi, addrLo, countHi, countLo, crcLo, crcHi] with fc 3 (holding)
 * or 4 (input), count 1..125; response [unit, fc, byteCount, data..., crc]; exception
 * [unit, fc | 0x80, code, crc].
 */
import { crcOk, withCrc } from "./crc";

export const FC_READ_HOLDING = 0x03;
export const FC_READ_INPUT = 0x04;
export const MAX_READ_REGISTERS = 125;

export const EXCEPTION_NAMES: Record<number, string> = {
  1: "illegal function",
  2: "illegal data address",
  3: "illegal data value",
  4: "server device failure",
  5: "acknowledge",
  6: "server device busy",
  8: "memory parity error",
  10: "gateway path unavailable",
  11: "gateway target device failed to respond",
};

export interface ReadRequest {
  unit: number;
  fc: typeof FC_READ_HOLDING | typeof FC_READ_INPUT;
  address: number;
  count: number;
}

export function encodeReadRequest(r: ReadRequest): Uint8Array {
  if (r.count < 1 || r.count > MAX_READ_REGISTERS)
    throw new RangeError(`count ${r.count} outside 1..${MAX_READ_REGISTERS}`);
  if (r.address + r.count > 0x10000)
    throw new RangeError(`registers ${r.address}+${r.count} run past 65535`);
  return withCrc(
    new Uint8Array([r.unit, r.fc, r.address >> 8, r.address & 0xff, r.count >> 8, r.count & 0xff]),
  );
}

export type ReadResponse =
  | { ok: true; registers: Uint16Array }
  | { ok: false; kind: "exception"; code: number; message: string }
  | { ok: false; kind: "crc" | "mismatch"; message: string };

/**
 * Accumulates the bytes of one response to `req`. `push` returns undefined while the frame is
 * incomplete, then the decoded response. The length is known from the function code and byte
 * count, so no inter-character timing is needed to find the end of the frame.
 */
export class ResponseAssembler {
  private buf = new Uint8Array(5 + 2 * MAX_READ_REGISTERS);
  private len = 0;

  constructor(private readonly req: ReadRequest) {}

  get received(): number {
    return this.len;
  }

  push(chunk: Uint8Array): ReadResponse | undefined {
    const room = this.buf.length - this.len;
    this.buf.set(chunk.subarray(0, room), this.len);
    this.len += Math.min(chunk.length, room);
    const need = this.expectedLength();
    if (need === undefined || this.len < need) return undefined;
    return decodeReadResponse(this.req, this.buf.subarray(0, need));
  }

  /** Total frame length once the header is in. */
  private expectedLength(): number | undefined {
    if (this.len < 3) return undefined;
    if (this.buf[1]! & 0x80) return 5;
    return 5 + this.buf[2]!;
  }
}

export function decodeReadResponse(req: ReadRequest, frame: Uint8Array): ReadResponse {
  if (!crcOk(frame)) return { ok: false, kind: "crc", message: `CRC mismatch in ${hex(frame)}` };
  const [unit, fc] = [frame[0]!, frame[1]!];
  if (unit !== req.unit)
    return { ok: false, kind: "mismatch", message: `answer from unit ${unit}, asked ${req.unit}` };
  if (fc === (req.fc | 0x80)) {
    const code = frame[2]!;
    return {
      ok: false,
      kind: "exception",
      code,
      message: `exception ${code} (${EXCEPTION_NAMES[code] ?? "unknown"})`,
    };
  }
  if (fc !== req.fc)
    return { ok: false, kind: "mismatch", message: `function ${fc} in answer, asked ${req.fc}` };
  const n = frame[2]!;
  if (n !== 2 * req.count)
    return { ok: false, kind: "mismatch", message: `${n} data bytes, expected ${2 * req.count}` };
  const registers = new Uint16Array(req.count);
  for (let i = 0; i < req.count; i++) registers[i] = (frame[3 + 2 * i]! << 8) | frame[4 + 2 * i]!;
  return { ok: true, registers };
}

export function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");
}
