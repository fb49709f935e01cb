/**
 * Serial frame layout, before COBS (all multi-byte integers big-endian):
 *
 *   offset 0  version  u8   FRAME_VERSION (1)
 *   offset 1  type     u8   FRAME_TYPES[type].code
 *   offset 2  seq      u16  per-sender sequence number, wraps 65535 -> 0
 *   offset 4  body     CBOR one data item (a map), standard RFC 8949
 *   end - 4   crc      u32  CRC-32/ISO-HDLC over every byte before it (version..body)
 *
 * On the wire the frame is COBS-encoded and followed by one 0x00 delimiter.
 */
import { decodeCbor, encodeCbor } from "../cbor";
import { FRAME_TYPES, type FrameBodyOf, type FrameType } from "./bodies";
import { cobsEncode, cobsMaxEncodedLength } from "./cobs";
import { CRC_BYTES, crc32 } from "./crc32";

export const FRAME_VERSION = 1;
export const FRAME_HEADER_BYTES = 4;
/** version + type + seq + a one-byte CBOR body + CRC. */
export const MIN_FRAME_BYTES = FRAME_HEADER_BYTES + 1 + CRC_BYTES;
/** Largest frame (before COBS, without the delimiter) a sender may send; decoders accept it. */
export const MAX_FRAME_BYTES = 4096;
/** Largest number of bytes a MAX_FRAME_BYTES frame takes on the wire, delimiter included. */
export const MAX_WIRE_BYTES = cobsMaxEncodedLength(MAX_FRAME_BYTES) + 1;
export const FRAME_DELIMITER = 0x00;

export type Frame = {
  [T in FrameType]: { version: number; type: T; seq: number; body: FrameBodyOf<T> };
}[FrameType];

export type FrameInput = {
  [T in FrameType]: { type: T; seq: number; body: FrameBodyOf<T> };
}[FrameType];

export type FrameErrorReason = "crc" | "cobs" | "oversize" | "version" | "type" | "cbor" | "schema";

/** A frame that could not be decoded (or encoded). Reported, never thrown, by FrameDecoder. */
export class FrameError extends Error {
  override name = "FrameError";
  constructor(
    readonly reason: FrameErrorReason,
    message: string,
    /** The frame's bytes as received (COBS-encoded, no delimiter); oversize: the first bytes. */
    readonly bytes: Uint8Array = new Uint8Array(0),
    /** Type byte and seq, when the CRC matched and they can be trusted. */
    readonly header?: { version: number; typeCode: number; seq: number },
  ) {
    super(message);
  }

  /**
   * A FrameError for a decoder report: same object, no stack trace. A bad frame is a fact about
   * the input, not the code, and capturing a stack costs more than decoding a good frame.
   */
  static report(
    reason: FrameErrorReason,
    message: string,
    bytes: Uint8Array,
    header?: FrameError["header"],
  ): FrameError {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      return new FrameError(reason, message, bytes, header);
    } finally {
      Error.stackTraceLimit = limit;
    }
  }
}

export type FrameResult = { ok: true; frame: Frame } | { ok: false; error: FrameError };

const typeByCode = new Map<number, FrameType>(
  (Object.entries(FRAME_TYPES) as [FrameType, { code: number }][]).map(([name, t]) => [
    t.code,
    name,
  ]),
);

/**
 * Builds one wire frame from raw parts, with no validation of the body: for tests, vectors
 * and fuzzing (e.g. an unknown version or type byte). Returns COBS bytes plus the delimiter.
 */
export function encodeRawFrame(
  version: number,
  typeCode: number,
  seq: number,
  body: Uint8Array,
): Uint8Array {
  const raw = new Uint8Array(FRAME_HEADER_BYTES + body.length + CRC_BYTES);
  const view = new DataView(raw.buffer);
  raw[0] = version;
  raw[1] = typeCode;
  view.setUint16(2, seq);
  raw.set(body, FRAME_HEADER_BYTES);
  view.setUint32(raw.length - CRC_BYTES, crc32(raw, 0, raw.length - CRC_BYTES));
  const wire = new Uint8Array(cobsMaxEncodedLength(raw.length) + 1);
  const n = cobsEncode(raw, wire).length;
  wire[n] = FRAME_DELIMITER;
  return wire.slice(0, n + 1);
}

/**
 * Validates and encodes a frame: COBS-encoded and 0x00-terminated, ready to write to a UART.
 * Throws FrameError (reason schema, type or oversize) if it cannot be sent as given.
 */
export function encodeFrame<T extends FrameType>(frame: {
  type: T;
  seq: number;
  body: FrameBodyOf<T>;
}): Uint8Array {
  const spec = FRAME_TYPES[frame.type] as (typeof FRAME_TYPES)[FrameType] | undefined;
  if (spec === undefined)
    throw new FrameError("type", `unknown frame type ${JSON.stringify(frame.type)}`);
  if (!Number.isInteger(frame.seq) || frame.seq < 0 || frame.seq > 0xffff) {
    throw new FrameError("schema", `seq must be an integer 0..65535, got ${frame.seq}`);
  }
  const parsed = spec.schema.safeParse(frame.body);
  if (!parsed.success) {
    throw new FrameError("schema", `${frame.type} body: ${formatIssues(parsed.error.issues)}`);
  }
  const body = encodeCbor(frame.body);
  const size = FRAME_HEADER_BYTES + body.length + CRC_BYTES;
  if (size > MAX_FRAME_BYTES) {
    throw new FrameError(
      "oversize",
      `${frame.type} frame is ${size} B, limit ${MAX_FRAME_BYTES} B`,
    );
  }
  return encodeRawFrame(FRAME_VERSION, spec.code, frame.seq, body);
}

/**
 * Checks and decodes one frame already stripped of COBS (`raw`); `wire` is what was received,
 * copied into the error on failure for logging. Never throws.
 */
export function parseFrame(raw: Uint8Array, wire: Uint8Array): FrameResult {
  if (raw.length < MIN_FRAME_BYTES) {
    return fail(
      "crc",
      `frame of ${raw.length} B is shorter than the ${MIN_FRAME_BYTES} B minimum`,
      wire,
    );
  }
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const crcAt = raw.length - CRC_BYTES;
  const want = view.getUint32(crcAt);
  const got = crc32(raw, 0, crcAt);
  if (want !== got) {
    return fail("crc", `CRC mismatch: frame says 0x${hex8(want)}, computed 0x${hex8(got)}`, wire);
  }
  const header = { version: raw[0]!, typeCode: raw[1]!, seq: view.getUint16(2) };
  if (header.version !== FRAME_VERSION) {
    return fail(
      "version",
      `frame version ${header.version}; this reader supports ${FRAME_VERSION}`,
      wire,
      header,
    );
  }
  const type = typeByCode.get(header.typeCode);
  if (type === undefined) {
    return fail(
      "type",
      `unknown frame type byte 0x${header.typeCode.toString(16).padStart(2, "0")}`,
      wire,
      header,
    );
  }
  let body: unknown;
  try {
    body = decodeCbor(raw.subarray(FRAME_HEADER_BYTES, crcAt));
  } catch (err) {
    return fail("cbor", `${type} frame: ${(err as Error).message}`, wire, header);
  }
  if (
    body === null ||
    typeof body !== "object" ||
    Array.isArray(body) ||
    body instanceof Uint8Array
  ) {
    return fail("schema", `${type} frame body must be a CBOR map`, wire, header);
  }
  const parsed = FRAME_TYPES[type].schema.safeParse(body);
  if (!parsed.success) {
    return fail("schema", `${type} body: ${formatIssues(parsed.error.issues)}`, wire, header);
  }
  return {
    ok: true,
    frame: { version: header.version, type, seq: header.seq, body: parsed.data } as Frame,
  };
}

function fail(
  reason: FrameErrorReason,
  message: string,
  wire: Uint8Array,
  header?: FrameError["header"],
): { ok: false; error: FrameError } {
  return { ok: false, error: FrameError.report(reason, message, wire.slice(), header) };
}

function hex8(n: number): string {
  return n.toString(16).padStart(8, "0");
}

function formatIssues(issues: readonly { path: PropertyKey[]; message: string }[]): string {
  return issues
    .slice(0, 10)
    .map((i) => `${i.path.length ? i.path.map(String).join(".") : "(root)"}: ${i.message}`)
    .join("; ");
}
