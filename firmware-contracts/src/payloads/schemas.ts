/**
 * CBOR payload of every MQTT topic, as zod schemas with inferred types.
 *
 * Versioning: `v` is the schema's major version. Minor changes only add optional fields,
 * which older readers ignore (zod strips unknown keys); a payload whose `v` is not
 * SCHEMA_MAJOR is rejected before its body is looked at.
 */
import { z } from "zod";
import { ID_PATTERN, type TopicKind } from "../topics";

export const SCHEMA_MAJOR = 1;
/** Most readings in one telemetry batch. */
export const MAX_BATCH_READINGS = 1000;
/** Largest CBOR payload any Fieldline topic carries. */
export const MAX_PAYLOAD_BYTES = 256 * 1024;

export const id = z
  .string()
  .regex(ID_PATTERN, "must be 1-64 characters of A-Z a-z 0-9 _ . -")
  .describe("an id: 1-64 characters of A-Z a-z 0-9 _ . -");
/** Boot id: chosen at random by the device at every boot (e.g. 16 hex digits). */
export const bootId = z
  .string()
  .min(1)
  .max(64)
  .describe("random id the device picks at every boot");
export const seq = z
  .number()
  .int()
  .min(0)
  .max(Number.MAX_SAFE_INTEGER)
  .describe("per-boot sequence number of the message's topic kind: 0, 1, 2, ... with no gap");
/** Event time: integer milliseconds since the Unix epoch, encoded as a CBOR integer. */
export const millis = z
  .number()
  .int()
  .min(Number.MIN_SAFE_INTEGER)
  .max(Number.MAX_SAFE_INTEGER)
  .describe("event time: integer ms since the Unix epoch, a CBOR integer");
/** A sensor value: any float64, including NaN and +-Infinity (sensor fault markers). */
export const sensorValue = z.union([
  z.number(),
  z.nan(),
  z.literal(Infinity),
  z.literal(-Infinity),
]);
export const severity = z.enum(["info", "warning", "critical"]);

const version = z.literal(SCHEMA_MAJOR);

/** Fields every device-originated payload carries. */
const deviceEnvelope = {
  v: version,
  device: id,
  boot: bootId,
  seq,
};

/** Quality of a reading: 0 good (default), 1 uncertain, 2 bad. */
export const quality = z
  .number()
  .int()
  .min(0)
  .max(2)
  .describe("0 good (default), 1 uncertain, 2 bad");

export const reading = z.object({
  sensor: id,
  t: millis,
  value: sensorValue,
  q: quality.optional(),
});

export const telemetry = z.object({
  ...deviceEnvelope,
  readings: z.array(reading).max(MAX_BATCH_READINGS),
});

export const state = z.object({
  ...deviceEnvelope,
  t: millis,
  status: z.enum(["online", "offline"]),
  agent: z.string().max(64).optional(),
  firmware: z.string().max(64).optional(),
  /** The device's labels (from its local config), so label-scoped rules resolve in the cloud too. */
  labels: z.record(id, z.string().max(128)).optional(),
});

export const event = z.object({
  ...deviceEnvelope,
  t: millis,
  type: z.string().min(1).max(64),
  severity: severity.optional(),
  rule: id.optional(),
  message: z.string().max(1024).optional(),
  data: z.record(z.string(), z.unknown()).optional(),
});

export const alertState = z.enum(["raised", "updated", "acknowledged", "cleared"]);

export const alert = z.object({
  v: version,
  id: z.string().min(1).max(128),
  site: id,
  device: id,
  rule: id,
  state: alertState,
  severity,
  t: millis,
  raisedAt: millis,
  message: z.string().max(1024).optional(),
  value: sensorValue.optional(),
  score: z.number().min(0).max(1).optional(),
  ackBy: z.string().max(128).optional(),
});

export const command = z.object({
  v: version,
  id: z.string().min(1).max(128),
  device: id,
  t: millis,
  name: z.string().min(1).max(64),
  args: z.record(z.string(), z.unknown()).optional(),
});

export const commandResult = z.object({
  ...deviceEnvelope,
  id: z.string().min(1).max(128),
  t: millis,
  ok: z.boolean(),
  result: z.unknown().optional(),
  error: z.string().max(1024).optional(),
});

export const desiredConfig = z.object({
  v: version,
  version: z.number().int().min(0),
  t: millis,
  /** The rules file (YAML text) the device should apply. */
  rules: z.string().max(MAX_PAYLOAD_BYTES),
});

export const reportedConfig = z.object({
  ...deviceEnvelope,
  t: millis,
  version: z.number().int().min(0),
  ok: z.boolean(),
  error: z.string().max(1024).optional(),
});

/** Inclusive ranges [from, to] of seqs, ascending and not overlapping. */
const seqRanges = z
  .array(z.tuple([seq, seq]).refine(([a, b]) => a <= b, "a range is [from, to] with from <= to"))
  .min(1)
  .max(1024)
  .refine((rs) => rs.every((r, i) => i === 0 || rs[i - 1]![1] < r[0]), "ranges must ascend without overlapping");

/**
 * Cloud -> device: these telemetry messages of this boot are durably stored. The device may
 * now forget them (its outbox releases them); until then it keeps and re-sends them.
 */
export const stored = z.object({
  v: version,
  device: id,
  boot: bootId,
  t: millis,
  seqs: seqRanges,
});

/** One map ties each topic kind to its payload schema. */
export const payloadSchemas = {
  telemetry,
  state,
  events: event,
  alerts: alert,
  commands: command,
  commandResults: commandResult,
  desiredConfig,
  reportedConfig,
  stored,
} as const satisfies Record<TopicKind, z.ZodType>;

export type Reading = z.infer<typeof reading>;
export type Telemetry = z.infer<typeof telemetry>;
export type State = z.infer<typeof state>;
export type DeviceEvent = z.infer<typeof event>;
export type Alert = z.infer<typeof alert>;
export type AlertState = z.infer<typeof alertState>;
export type Command = z.infer<typeof command>;
export type CommandResult = z.infer<typeof commandResult>;
export type DesiredConfig = z.infer<typeof desiredConfig>;
export type ReportedConfig = z.infer<typeof reportedConfig>;
export type Stored = z.infer<typeof stored>;
export type Severity = z.infer<typeof severity>;

export type PayloadOf<K extends TopicKind> = z.infer<(typeof payloadSchemas)[K]>;
