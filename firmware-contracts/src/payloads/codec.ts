/**
 * Encode and decode the payload of any topic kind. Decoding never throws: a bad payload
 * comes back as a PayloadError with a reason a log line or dead-letter store can keep.
 */
import { CborError, decodeCbor, encodeCbor } from "../cbor";
import type { TopicKind } from "../topics";
import { MAX_PAYLOAD_BYTES, SCHEMA_MAJOR, payloadSchemas, type PayloadOf } from "./schemas";

export type PayloadErrorReason = "too-large" | "cbor" | "not-a-map" | "version" | "schema";

export class PayloadError extends Error {
  override name = "PayloadError";
  constructor(
    readonly reason: PayloadErrorReason,
    message: string,
  ) {
    super(message);
  }

  /** A PayloadError for a decode report, without the cost of a stack trace (see FrameError.report). */
  static report(reason: PayloadErrorReason, message: string): PayloadError {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      return new PayloadError(reason, message);
    } finally {
      Error.stackTraceLimit = limit;
    }
  }
}

export type DecodeResult<T> = { ok: true; value: T } | { ok: false; error: PayloadError };

/** Validates and encodes; throws PayloadError if `value` does not match the kind's schema. */
export function encodePayload<K extends TopicKind>(kind: K, value: PayloadOf<K>): Uint8Array {
  const parsed = payloadSchemas[kind].safeParse(value);
  if (!parsed.success) {
    throw new PayloadError("schema", `${kind} payload: ${formatIssues(parsed.error.issues)}`);
  }
  const bytes = encodeCbor(value);
  if (bytes.length > MAX_PAYLOAD_BYTES) {
    throw new PayloadError(
      "too-large",
      `${kind} payload is ${bytes.length} B, limit ${MAX_PAYLOAD_BYTES} B`,
    );
  }
  return bytes;
}

export function decodePayload<K extends TopicKind>(
  kind: K,
  bytes: Uint8Array,
): DecodeResult<PayloadOf<K>> {
  if (bytes.length > MAX_PAYLOAD_BYTES) {
    return fail("too-large", `${kind} payload is ${bytes.length} B, limit ${MAX_PAYLOAD_BYTES} B`);
  }
  let raw: unknown;
  try {
    raw = decodeCbor(bytes);
  } catch (err) {
    return fail("cbor", `${kind} payload: ${err instanceof CborError ? err.message : String(err)}`);
  }
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    return fail("not-a-map", `${kind} payload must be a CBOR map`);
  }
  const v = (raw as { v?: unknown }).v;
  if (v !== SCHEMA_MAJOR) {
    return fail(
      "version",
      `${kind} payload has schema major version ${describe(v)}; this reader supports ${SCHEMA_MAJOR}`,
    );
  }
  const parsed = payloadSchemas[kind].safeParse(raw);
  if (!parsed.success)
    return fail("schema", `${kind} payload: ${formatIssues(parsed.error.issues)}`);
  return { ok: true, value: parsed.data as PayloadOf<K> };
}

/** A short, never-throwing rendering of a decoded value (CBOR can hold BigInts, huge strings). */
function describe(value: unknown): string {
  let text: string;
  try {
    text =
      JSON.stringify(value, (_k, x: unknown) => (typeof x === "bigint" ? `${x}n` : x)) ??
      String(value);
  } catch {
    text = Object.prototype.toString.call(value);
  }
  return text.length > 40 ? `${text.slice(0, 40)}...` : text;
}

function fail(reason: PayloadErrorReason, message: string): { ok: false; error: PayloadError } {
  return { ok: false, error: PayloadError.report(reason, message) };
}

function formatIssues(issues: readonly { path: PropertyKey[]; message: string }[]): string {
  return issues
    .slice(0, 10)
    .map((i) => `${i.path.length ? i.path.map(String).join(".") : "(root)"}: ${i.message}`)
    .join("; ");
}
