/**
 * The disk log's record format. One record per persistence call that changes state:
 *
 *   u32 LE body length | u32 LE crc32(body) | body
 *   body = u8 op | u32 LE JSON length | JSON (the call's arguments, packet without payload) | payload bytes
 *
 * The payload travels raw after the JSON (no base64), once per message whatever the number of
 * subscribers it is queued for. A record whose length or checksum does not hold ends the
 * readable log: appends are sequential and fsynced in order, so only the tail can be torn.
 */
import { crc32 } from "node:zlib";

export const Op = {
  storeRetained: 1,
  addSubscriptions: 2,
  removeSubscriptions: 3,
  cleanSubscriptions: 4,
  outgoingEnqueue: 5,
  outgoingUpdate: 6,
  outgoingClear: 7,
  incomingStore: 8,
  incomingDel: 9,
  cleanIncoming: 10,
  putWill: 11,
  delWill: 12,
} as const;
export type OpCode = (typeof Op)[keyof typeof Op];

export interface LoggedPacket {
  [field: string]: unknown;
  payload?: Buffer | string;
}

export interface LogRecord {
  op: OpCode;
  /** The call's arguments; a packet's payload is taken out into `payload`. */
  args: { [k: string]: unknown };
  payload?: Buffer | string;
}

const HEADER = 8;

/** Splits a packet into its JSON-able fields and its payload (Buffer, or string as some callers pass). */
export function packetMeta(packet: LoggedPacket): { meta: { [k: string]: unknown }; payload?: Buffer | string } {
  const { payload, ...meta } = packet;
  return { meta, payload };
}

export function encodeRecord(r: LogRecord): Buffer {
  const args = r.payload === undefined ? r.args : { ...r.args, $p: typeof r.payload === "string" ? "s" : "b" };
  const json = Buffer.from(JSON.stringify(args));
  const payload = r.payload === undefined ? undefined : typeof r.payload === "string" ? Buffer.from(r.payload) : r.payload;
  const bodyLen = 5 + json.length + (payload?.length ?? 0);
  const out = Buffer.allocUnsafe(HEADER + bodyLen);
  out.writeUInt32LE(bodyLen, 0);
  out[HEADER] = r.op;
  out.writeUInt32LE(json.length, HEADER + 1);
  json.copy(out, HEADER + 5);
  payload?.copy(out, HEADER + 5 + json.length);
  out.writeUInt32LE(crc32(out.subarray(HEADER)), 4);
  return out;
}

export interface Decoded {
  records: LogRecord[];
  /** Bytes of whole, valid records from the start of the buffer. */
  validBytes: number;
}

/** Reads records until the end or the first torn or corrupt one. */
export function decodeRecords(buf: Buffer): Decoded {
  const records: LogRecord[] = [];
  let at = 0;
  while (buf.length - at >= HEADER) {
    const len = buf.readUInt32LE(at);
    if (len < 5 || buf.length - at - HEADER < len) break;
    const body = buf.subarray(at + HEADER, at + HEADER + len);
    if (crc32(body) !== buf.readUInt32LE(at + 4)) break;
    const jsonLen = body.readUInt32LE(1);
    if (5 + jsonLen > len) break;
    const args = JSON.parse(body.toString("utf8", 5, 5 + jsonLen)) as { [k: string]: unknown; $p?: "s" | "b" };
    const kind = args.$p;
    delete args.$p;
    const raw = body.subarray(5 + jsonLen);
    const payload = kind === undefined ? undefined : kind === "s" ? raw.toString() : Buffer.from(raw);
    records.push({ op: body[0] as OpCode, args, ...(payload === undefined ? {} : { payload }) });
    at += HEADER + len;
  }
  return { records, validBytes: at };
}
