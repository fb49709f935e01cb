/**
 * On-disk record framing of the segment outbox:
 *
 *   u32 LE payload length | u32 LE CRC-32 (IEEE, of the payload) | payload
 *   payload = u8 kind | u8 flags (bit 0: retain, bit 1: meta) | [u16 LE n | n meta bytes] | CBOR message bytes
 *
 * Meta travels with the record in the same write and is never published: the agent's own
 * bookkeeping that must be on disk exactly when the message is (see OutboxMessage.meta).
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

/** Largest meta a record can carry. */
export const MAX_META = 0xffff;

export function encodeRecord(msg: OutboxMessage): Buffer {
  const meta = msg.meta;
  if (meta && meta.length > MAX_META) throw new RangeError(`outbox record meta of ${meta.length} bytes (most ${MAX_META})`);
  const metaBytes = meta ? 2 + meta.length : 0;
  const len = msg.payload.length + 2 + metaBytes;
  const buf = Buffer.allocUnsafe(HEADER_BYTES + len);
  buf[HEADER_BYTES] = KIND_CODES[msg.kind];
  buf[HEADER_BYTES + 1] = (msg.retain ? 1 : 0) | (meta ? 2 : 0);
  if (meta) {
    buf.writeUInt16LE(meta.length, HEADER_BYTES + 2);
    buf.set(meta, HEADER_BYTES + 4);
  }
  buf.set(msg.payload, HEADER_BYTES + 2 + metaBytes);
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
  const flags = body[1]!;
  const retain = (flags & 1) === 1;
  if ((flags & 2) === 0) return { ok: true, size: HEADER_BYTES + len, msg: { kind, retain, payload: body.subarray(2) } };
  if (body.length < 4) return { ok: false, reason: "corrupt" };
  const n = body.readUInt16LE(2);
  if (body.length < 4 + n) return { ok: false, reason: "corrupt" };
  return {
    ok: true,
    size: HEADER_BYTES + len,
    msg: { kind, retain, meta: body.subarray(4, 4 + n), payload: body.subarray(4 + n) },
  };
}
