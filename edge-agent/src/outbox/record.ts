/**
 * On-disk record framing of the segment outbox:
 *
 *   u32 LE payload length | u32 LE CRC-32 (IEEE, of the payload) | payload
 *   payload = u8 kind | u8 flags (bit 0: retain) | CBOR message bytes
 *
 * A record is valid only if its whole length is present and its CRC matches, so a write torn
 * by a crash or power loss, or garbage appended to a segment, is detected and skipped.
 */
import { crc32 } from "node:zlib";
import type { OutboxKind, OutboxMessage } from "./outbox";

export const HEADER_BYTES = 8;
/** Largest payload a record may claim; a bigger length field is treated as corruption. */
export const MAX_RECORD_PAYLOAD = 1 << 20;

const KIND_CODES: Record<OutboxKind, number> = {
  telemetry: 1,
  events: 2,
  commandResults: 3,
  reportedConfig: 4,
};
const KINDS_BY_CODE = new Map<number, OutboxKind>(
  (Object.entries(KIND_CODES) as [OutboxKind, number][]).map(([k, c]) => [c, k]),
);

export function encodeRecord(msg: OutboxMessage): Buffer {
  const len = msg.payload.length + 2;
  const buf = Buffer.allocUnsafe(HEADER_BYTES + len);
  buf[HEADER_BYTES] = KIND_CODES[msg.kind];
  buf[HEADER_BYTES + 1] = msg.retain ? 1 : 0;
  buf.set(msg.payload, HEADER_BYTES + 2);
  buf.writeUInt32LE(len, 0);
  buf.writeUInt32LE(crc32(buf.subarray(HEADER_BYTES)), 4);
  return buf;
}

export type RecordScan =
  | { ok: true; msg: OutboxMessage; size: number }
  /** `incomplete`: fewer bytes than the record claims (a torn tail, or more must be read). */
  | { ok: false; reason: "incomplete" | "corrupt" };

/** Decodes the record starting at `off` in `buf`; never throws. */
export function decodeRecord(buf: Buffer, off: number): RecordScan {
  if (buf.length - off < HEADER_BYTES) return { ok: false, reason: "incomplete" };
  const len = buf.readUInt32LE(off);
  if (len < 2 || len > MAX_RECORD_PAYLOAD + 2) return { ok: false, reason: "corrupt" };
  if (buf.length - off < HEADER_BYTES + len) return { ok: false, reason: "incomplete" };
  const body = buf.subarray(off + HEADER_BYTES, off + HEADER_BYTES + len);
  if (crc32(body) !== buf.readUInt32LE(off + 4)) return { ok: false, reason: "corrupt" };
  const kind = KINDS_BY_CODE.get(body[0]!);
  if (kind === undefined) return { ok: false, reason: "corrupt" };
  return {
    ok: true,
    size: HEADER_BYTES + len,
    msg: { kind, retain: (body[1]! & 1) === 1, payload: body.subarray(2) },
  };
}
