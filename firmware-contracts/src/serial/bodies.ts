/**
 * CBOR bodies of the serial frame types, as zod schemas with inferred types, and the one
 * table that ties each type name to its type byte and schema. Unknown body fields are
 * ignored (zod strips them), so a newer firmware may add optional fields freely.
 */
import { z } from "zod";
import { id, quality, sensorValue, severity } from "../payloads/schemas";

/** MCU-relative time: milliseconds since the MCU booted (any unsigned integer up to 2^53-1). */
export const mcuMillis = z
  .number()
  .int()
  .min(0)
  .max(Number.MAX_SAFE_INTEGER)
  .describe("ms since the MCU booted");

/** Most readings in one serial readings frame. */
export const MAX_FRAME_READINGS = 32;
/** Most sensors one hello frame declares. */
export const MAX_HELLO_SENSORS = 32;

/** A command id: an unsigned 32-bit integer or a short string; the MCU echoes it in its ack. */
export const commandId = z
  .union([z.number().int().min(0).max(0xffffffff), z.string().min(1).max(64)])
  .describe("command id, echoed unchanged in the ack");

export const frameReading = z.object({
  /** Sensor id, as declared in the hello frame. */
  sensor: id.describe("sensor id, as declared in the hello frame"),
  /** float64 (or float32/float16/integer on the wire); NaN and +-Infinity mark sensor faults. */
  value: sensorValue,
  /** When the MCU sampled it: ms since the MCU booted. Absent: the host stamps arrival time. */
  t: mcuMillis
    .optional()
    .describe("when the MCU sampled it, ms since its boot; absent: the host stamps arrival"),
  /** 0 good (default), 1 uncertain, 2 bad. */
  q: quality.optional(),
});

export const readingsBody = z.object({
  readings: z.array(frameReading).max(MAX_FRAME_READINGS),
});

export const sensorInfo = z.object({
  id,
  /** Unit symbol, UCUM-style where one exists: "Cel", "kPa", "%", "L/min", "V", "1" for counts. */
  unit: z
    .string()
    .max(16)
    .describe('unit symbol, UCUM-style: "Cel", "kPa", "%", "L/min", "1" for counts'),
  /** What it measures, e.g. "temperature", "pressure", "flow". */
  kind: z
    .string()
    .min(1)
    .max(16)
    .optional()
    .describe('what it measures: "temperature", "pressure", ...'),
});

export const helloBody = z.object({
  /** Firmware version, e.g. "1.4.2" or a git describe string. */
  firmware: z.string().min(1).max(64).describe('firmware version, e.g. "1.4.2"'),
  sensors: z.array(sensorInfo).max(MAX_HELLO_SENSORS),
  /** Board / hardware revision. */
  hardware: z.string().max(64).optional().describe("board / hardware revision"),
  /**
   * MCU boot id: new at every MCU boot (random 32-bit number or a boot counter), the same in
   * every hello of that boot. Lets the host drop retransmits across its own restarts.
   */
  boot: z
    .union([z.number().int().min(0).max(0xffffffff), z.string().min(1).max(64)])
    .optional()
    .describe("MCU boot id: new at every MCU boot, same in every hello of that boot"),
});

export const eventBody = z.object({
  /** What happened: "fault", "boot", "watchdog", "brownout", "sensor-lost", ... */
  type: z
    .string()
    .min(1)
    .max(32)
    .describe('what happened: "fault", "boot", "watchdog", "brownout", ...'),
  /** Firmware-specific numeric code (e.g. an errno or fault register). */
  code: z
    .number()
    .int()
    .min(-(2 ** 31))
    .max(2 ** 32 - 1)
    .optional()
    .describe("firmware-specific numeric code (errno, fault register)"),
  message: z.string().max(256).optional(),
  severity: severity.optional(),
  /** The sensor it concerns, if any. */
  sensor: id.optional(),
  t: mcuMillis.optional(),
});

/** Host to MCU. */
export const commandBody = z.object({
  id: commandId,
  name: z.string().min(1).max(32),
  args: z.record(z.string(), z.unknown()).optional(),
});

/**
 * MCU to host: the outcome of a command, by its id. Host to MCU with `of: "readings"`: the
 * readings frame whose seq is `id` is in the host's outbox (see README: reliable delivery).
 */
export const ackBody = z.object({
  id: commandId,
  ok: z.boolean(),
  /** What is acknowledged: absent or "command" = a command by id; "readings" = a readings frame by seq. */
  of: z
    .enum(["command", "readings"])
    .optional()
    .describe('what is acknowledged: absent/"command" = a command by id; "readings" = a readings frame, id = its seq'),
  error: z.string().max(256).optional(),
  result: z.unknown().optional(),
});

/** Type name -> type byte and body schema. Type bytes are never reused. */
export const FRAME_TYPES = {
  readings: { code: 0x01, schema: readingsBody },
  hello: { code: 0x02, schema: helloBody },
  event: { code: 0x03, schema: eventBody },
  command: { code: 0x04, schema: commandBody },
  ack: { code: 0x05, schema: ackBody },
} as const;

export type FrameType = keyof typeof FRAME_TYPES;
export const FRAME_TYPE_NAMES = Object.keys(FRAME_TYPES) as FrameType[];

export type FrameReading = z.infer<typeof frameReading>;
export type ReadingsBody = z.infer<typeof readingsBody>;
export type SensorInfo = z.infer<typeof sensorInfo>;
export type HelloBody = z.infer<typeof helloBody>;
export type EventBody = z.infer<typeof eventBody>;
export type CommandBody = z.infer<typeof commandBody>;
export type AckBody = z.infer<typeof ackBody>;
export type CommandId = z.infer<typeof commandId>;

export type FrameBodyOf<T extends FrameType> = z.infer<(typeof FRAME_TYPES)[T]["schema"]>;
