/**
 * Telemetry decoding for the hot path: the same answers as firmware-contracts'
 * `decodePayload("telemetry", bytes)`, at a fraction of the cost per reading.
 *
 * The zod schema stays the schema of record. The common payload is read straight from its
 * bytes by `readTelemetry` (telemetry-cbor.ts), which checks the schema as it goes. Failing
 * that (say, a float-encoded timestamp), a payload cbor-x decodes to a map with exactly the
 * schema's keys, every value valid, is checked here by hand and the decoded object is
 * returned as it is: zod would return a copy with the same keys and values. Anything else
 * (an unknown key to strip, a bad value, malformed CBOR, a payload too large) goes through
 * `decodePayload` itself, so rejections keep zod's reasons and messages word for word.
 * test/unit/telemetry-decode.test.ts checks both answers agree on generated payloads.
 */
import {
  decodeCbor,
  decodePayload,
  ID_PATTERN,
  MAX_BATCH_READINGS,
  MAX_PAYLOAD_BYTES,
  SCHEMA_MAJOR,
  type DecodeResult,
  type Telemetry,
} from "@fieldline/firmware-contracts";
import { readTelemetry } from "./telemetry-cbor.ts";

export function decodeTelemetry(bytes: Uint8Array): DecodeResult<Telemetry> {
  if (bytes.length > 0 && bytes.length <= MAX_PAYLOAD_BYTES) {
    const value = readTelemetry(bytes);
    if (value !== undefined) return { ok: true, value };
    let raw: unknown;
    try {
      raw = decodeCbor(bytes);
    } catch {
      raw = undefined;
    }
    if (isTelemetry(raw)) return { ok: true, value: raw };
  }
  return decodePayload("telemetry", bytes);
}

/** True when `x` is a plain object with exactly `want` own enumerable keys (and nothing inherited). */
function plainWithKeys(x: unknown, want: number): x is Record<string, unknown> {
  if (typeof x !== "object" || x === null || Object.getPrototypeOf(x) !== Object.prototype) return false;
  let n = 0;
  for (const _ in x) n++;
  return n === want;
}

function isSafeInt(x: unknown): x is number {
  return typeof x === "number" && Number.isSafeInteger(x);
}

function isId(x: unknown): x is string {
  return typeof x === "string" && ID_PATTERN.test(x);
}

/** The telemetry schema, exact keys only (no key for zod to strip, no optional key set to undefined). */
function isTelemetry(x: unknown): x is Telemetry {
  if (!plainWithKeys(x, 5)) return false;
  const { v, device, boot, seq, readings } = x;
  if (v !== SCHEMA_MAJOR || !isId(device)) return false;
  if (typeof boot !== "string" || boot.length < 1 || boot.length > 64) return false;
  if (!isSafeInt(seq) || seq < 0) return false;
  if (!Array.isArray(readings) || readings.length > MAX_BATCH_READINGS) return false;
  for (let i = 0; i < readings.length; i++) if (!isReading(readings[i])) return false;
  return true;
}

function isReading(x: unknown): boolean {
  if (typeof x !== "object" || x === null || Object.getPrototypeOf(x) !== Object.prototype) return false;
  const r = x as Record<string, unknown>;
  let n = 0;
  for (const _ in r) n++;
  if (typeof r.value !== "number" || !isSafeInt(r.t) || !isId(r.sensor)) return false;
  if (n === 3) return r.q === undefined;
  // q present: an integer 0..2 (a key present with undefined goes to zod, which keeps it).
  return n === 4 && isSafeInt(r.q) && r.q >= 0 && r.q <= 2;
}
