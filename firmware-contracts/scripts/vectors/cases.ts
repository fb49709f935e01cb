/**
 * The golden cases. Each becomes one file under vectors/: valid frames and payloads with
 * their bytes and decoded JSON, and invalid ones with the error a decoder must report.
 */
import { MAX_BATCH_READINGS, encodeCbor, type PayloadOf, type TopicKind } from "../../src";
import {
  FRAME_TYPES,
  FRAME_VERSION,
  MAX_FRAME_READINGS,
  encodeRawFrame,
  type FrameInput,
} from "../../src/serial";

export interface FrameCase {
  name: string;
  description: string;
  frame: FrameInput;
}

/** A frame built byte by byte: an invalid one, or a valid one our encoder would write differently. */
export interface RawFrameCase {
  name: string;
  description: string;
  wire: Uint8Array;
  /** The reason a decoder must report, or absent if the frame is valid. */
  error?: string;
  /** For valid raw frames: what it decodes to. */
  decoded?: FrameInput;
}

export interface PayloadCase<K extends TopicKind = TopicKind> {
  name: string;
  description: string;
  kind: K;
  value: PayloadOf<K>;
}

export interface RawPayloadCase {
  name: string;
  description: string;
  kind: TopicKind;
  cbor: Uint8Array;
  error: string;
}

const T0 = 1_700_000_000_000; // 2023-11-14T22:13:20Z, above 2^32: a 64-bit CBOR integer
const sensorIds = ["temp", "pressure", "flow", "vib-x", "vib.y", "level_1"];

export const frameCases: FrameCase[] = [
  {
    name: "readings-basic",
    description: "two readings with MCU time and quality",
    frame: {
      type: "readings",
      seq: 1,
      body: {
        readings: [
          { sensor: "temp", value: 21.5, t: 1500, q: 0 },
          { sensor: "pressure", value: 101.325, t: 1500 },
        ],
      },
    },
  },
  {
    name: "readings-empty",
    description: "an empty batch (a heartbeat)",
    frame: { type: "readings", seq: 0, body: { readings: [] } },
  },
  {
    name: "readings-no-time",
    description: "readings without t (the host stamps arrival) and integer values",
    frame: {
      type: "readings",
      seq: 2,
      body: {
        readings: [
          { sensor: "count", value: 42 },
          { sensor: "temp", value: -40 },
        ],
      },
    },
  },
  {
    name: "readings-special-values",
    description: "negative, NaN, +Infinity, -Infinity, tiny and huge values; quality 1 and 2",
    frame: {
      type: "readings",
      seq: 3,
      body: {
        readings: [
          { sensor: "temp", value: -12.75, t: 2000 },
          { sensor: "flow", value: Number.NaN, t: 2000, q: 2 },
          { sensor: "level_1", value: Number.POSITIVE_INFINITY, t: 2000, q: 2 },
          { sensor: "level_1", value: Number.NEGATIVE_INFINITY, t: 2001, q: 2 },
          { sensor: "vib-x", value: 5e-324, t: 2002, q: 1 },
          { sensor: "vib.y", value: -1.7976931348623157e308, t: 2003 },
        ],
      },
    },
  },
  {
    name: "readings-64bit-time",
    description: "MCU uptimes at 2^32-1, 2^32 and 2^53-1 ms: 32- and 64-bit CBOR integers",
    frame: {
      type: "readings",
      seq: 4,
      body: {
        readings: [
          { sensor: "temp", value: 1, t: 2 ** 32 - 1 },
          { sensor: "temp", value: 2, t: 2 ** 32 },
          { sensor: "temp", value: 3, t: Number.MAX_SAFE_INTEGER },
        ],
      },
    },
  },
  {
    name: "readings-max-batch",
    description: `the maximum batch: ${MAX_FRAME_READINGS} readings`,
    frame: {
      type: "readings",
      seq: 65535,
      body: {
        readings: Array.from({ length: MAX_FRAME_READINGS }, (_, i) => ({
          sensor: sensorIds[i % sensorIds.length]!,
          value: Math.round(Math.sin(i) * 1e6) / 1e3,
          t: 86_400_000 + i * 250,
          q: i % 3,
        })),
      },
    },
  },
  {
    name: "hello",
    description: "firmware version and sensors with units",
    frame: {
      type: "hello",
      seq: 0,
      body: {
        firmware: "1.4.2",
        hardware: "pump-ctl rev C",
        sensors: [
          { id: "temp", unit: "Cel", kind: "temperature" },
          { id: "pressure", unit: "kPa", kind: "pressure" },
          { id: "flow", unit: "L/min" },
          { id: "count", unit: "1" },
        ],
      },
    },
  },
  {
    name: "hello-no-sensors",
    description: "a hello from firmware with no sensors yet",
    frame: { type: "hello", seq: 0, body: { firmware: "0.0.1-dev", sensors: [] } },
  },
  {
    name: "event-fault",
    description: "a fault with a negative code, severity, sensor and MCU time",
    frame: {
      type: "event",
      seq: 17,
      body: {
        type: "fault",
        code: -110,
        message: "ADC timeout",
        severity: "critical",
        sensor: "pressure",
        t: 123_456,
      },
    },
  },
  {
    name: "event-boot",
    description: "the smallest event",
    frame: { type: "event", seq: 0, body: { type: "boot" } },
  },
  {
    name: "command",
    description: "host to MCU, integer id and nested args",
    frame: {
      type: "command",
      seq: 300,
      body: {
        id: 7,
        name: "set-interval",
        args: { ms: 500, sensors: ["temp", "flow"], fast: true },
      },
    },
  },
  {
    name: "command-string-id",
    description: "host to MCU, string id, no args",
    frame: { type: "command", seq: 301, body: { id: "cmd-01HF8", name: "reboot" } },
  },
  {
    name: "ack-ok",
    description: "MCU to host: command 7 done, with a result",
    frame: { type: "ack", seq: 18, body: { id: 7, ok: true, result: { interval: 500 } } },
  },
  {
    name: "ack-error",
    description: "MCU to host: command failed",
    frame: { type: "ack", seq: 19, body: { id: "cmd-01HF8", ok: false, error: "busy" } },
  },
];

const ack = FRAME_TYPES.ack.code;
const readings = FRAME_TYPES.readings.code;
const okAck = encodeCbor({ id: 1, ok: true });

function withCobs(raw: number[]): Uint8Array {
  // Hand-made COBS-free cases: the caller gives bytes with no 0x00, we add the delimiter.
  return Uint8Array.from([...raw, 0]);
}

function flipLastByte(wire: Uint8Array): Uint8Array {
  const out = wire.slice();
  // The last byte before the delimiter is CRC data unless it is a code byte; these cases
  // are checked to decode as "crc" by the vectors test.
  out[out.length - 2] = out[out.length - 2]! ^ 0x01 || 0x02;
  return out;
}

/** Readings body as a small MCU encoder might write it: float32 and float16 values, uint32 time. */
const compactReadings = Uint8Array.from([
  0xa1,
  0x68,
  ...new TextEncoder().encode("readings"),
  0x82,
  0xa3,
  0x66,
  ...new TextEncoder().encode("sensor"),
  0x64,
  ...new TextEncoder().encode("temp"),
  0x65,
  ...new TextEncoder().encode("value"),
  0xfa,
  0x41,
  0xac,
  0x00,
  0x00, // float32 21.5
  0x61,
  0x74,
  0x1a,
  0x00,
  0x01,
  0x00,
  0x00, // t: uint32 65536
  0xa2,
  0x66,
  ...new TextEncoder().encode("sensor"),
  0x64,
  ...new TextEncoder().encode("flow"),
  0x65,
  ...new TextEncoder().encode("value"),
  0xf9,
  0x7e,
  0x00, // float16 NaN
]);

export const rawFrameCases: RawFrameCase[] = [
  {
    name: "readings-compact-floats",
    description: "valid: float32 and float16 values as a small MCU CBOR encoder writes them",
    wire: encodeRawFrame(FRAME_VERSION, readings, 5, compactReadings),
    decoded: {
      type: "readings",
      seq: 5,
      body: {
        readings: [
          { sensor: "temp", value: 21.5, t: 65536 },
          { sensor: "flow", value: Number.NaN },
        ],
      },
    },
  },
  {
    name: "error-crc",
    description: "a good ack frame with one CRC bit flipped",
    wire: flipLastByte(encodeRawFrame(FRAME_VERSION, ack, 1, okAck)),
    error: "crc",
  },
  {
    name: "error-short",
    description: "four bytes: too short to hold a CRC (reported as crc)",
    wire: withCobs([0x05, 0x01, 0x05, 0x01, 0x01]),
    error: "crc",
  },
  {
    name: "error-cobs",
    description: "a COBS code byte (0x09) that runs past the end of the frame",
    wire: withCobs([0x09, 0x01, 0x05, 0x01]),
    error: "cobs",
  },
  {
    name: "error-version",
    description: "frame version 2 with a valid CRC",
    wire: encodeRawFrame(2, ack, 1, okAck),
    error: "version",
  },
  {
    name: "error-type",
    description: "unknown type byte 0x7f with a valid CRC",
    wire: encodeRawFrame(FRAME_VERSION, 0x7f, 1, okAck),
    error: "type",
  },
  {
    name: "error-cbor",
    description: "truncated CBOR body (map of 1, then a text string header with no bytes)",
    wire: encodeRawFrame(FRAME_VERSION, ack, 1, Uint8Array.of(0xa1, 0x62)),
    error: "cbor",
  },
  {
    name: "error-schema",
    description: "an ack body without ok",
    wire: encodeRawFrame(FRAME_VERSION, ack, 1, encodeCbor({ id: 1 })),
    error: "schema",
  },
  {
    name: "error-oversize",
    description: "5000 non-zero bytes without a delimiter, then 0x00: over the 4096 B frame limit",
    wire: Uint8Array.from([...new Uint8Array(5000).fill(0xff), 0]),
    error: "oversize",
  },
];

const site = "plant-1";
const device = "pump-7";
const boot = "9f2c4e1a7b3d5e60";

export const payloadCases: PayloadCase[] = [
  {
    name: "telemetry-basic",
    description: "a small batch with quality",
    kind: "telemetry",
    value: {
      v: 1,
      device,
      boot,
      seq: 42,
      readings: [
        { sensor: "temp", t: T0 + 123, value: 23.7 },
        { sensor: "pressure", t: T0 + 124, value: 101.325, q: 0 },
        { sensor: "flow", t: T0 + 125, value: 12, q: 1 },
      ],
    },
  },
  {
    name: "telemetry-empty",
    description: "an empty batch",
    kind: "telemetry",
    value: { v: 1, device, boot, seq: 0, readings: [] },
  },
  {
    name: "telemetry-special-values",
    description: "negative, NaN, +-Infinity and extreme float64 values",
    kind: "telemetry",
    value: {
      v: 1,
      device,
      boot,
      seq: 43,
      readings: [
        { sensor: "temp", t: T0, value: -273.15 },
        { sensor: "flow", t: T0, value: Number.NaN, q: 2 },
        { sensor: "flow", t: T0 + 1, value: Number.POSITIVE_INFINITY, q: 2 },
        { sensor: "flow", t: T0 + 2, value: Number.NEGATIVE_INFINITY, q: 2 },
        { sensor: "vib-x", t: T0 + 3, value: 1.7976931348623157e308 },
        { sensor: "vib-x", t: T0 + 4, value: -5e-324 },
      ],
    },
  },
  {
    name: "telemetry-64bit-timestamps",
    description: "timestamps around 2^32, at 2^53-1, and before 1970 (negative 64-bit integers)",
    kind: "telemetry",
    value: {
      v: 1,
      device,
      boot,
      seq: Number.MAX_SAFE_INTEGER,
      readings: [
        { sensor: "temp", t: 2 ** 32 - 1, value: 1 },
        { sensor: "temp", t: 2 ** 32, value: 2 },
        { sensor: "temp", t: Number.MAX_SAFE_INTEGER, value: 3 },
        { sensor: "temp", t: -1, value: 4 },
        { sensor: "temp", t: -(2 ** 32) - 1, value: 5 },
        { sensor: "temp", t: Number.MIN_SAFE_INTEGER, value: 6 },
      ],
    },
  },
  {
    name: "telemetry-max-batch",
    description: `the maximum batch: ${MAX_BATCH_READINGS} readings`,
    kind: "telemetry",
    value: {
      v: 1,
      device,
      boot,
      seq: 44,
      readings: Array.from({ length: MAX_BATCH_READINGS }, (_, i) => ({
        sensor: sensorIds[i % sensorIds.length]!,
        t: T0 + i * 100,
        value: Math.round(Math.cos(i) * 1e6) / 1e4,
        ...(i % 10 === 0 ? { q: 1 } : {}),
      })),
    },
  },
  {
    name: "state-online",
    description: "retained state with agent and firmware versions",
    kind: "state",
    value: {
      v: 1,
      device,
      boot,
      seq: 1,
      t: T0,
      status: "online",
      agent: "0.1.0",
      firmware: "1.4.2",
    },
  },
  {
    name: "state-offline",
    description: "the MQTT will message",
    kind: "state",
    value: { v: 1, device, boot, seq: 0, t: T0, status: "offline" },
  },
  {
    name: "events-rule",
    description: "a local rule fired, with free-form data",
    kind: "events",
    value: {
      v: 1,
      device,
      boot,
      seq: 7,
      t: T0 + 5000,
      type: "rule-fired",
      severity: "critical",
      rule: "overpressure",
      message: "pressure 130 kPa > 120 kPa for 5 s; valve closed",
      data: { value: 130, threshold: 120, gpio: { line: 17, value: 0 } },
    },
  },
  {
    name: "alerts-raised",
    description: "an alert raised by the cloud, with value and anomaly score",
    kind: "alerts",
    value: {
      v: 1,
      id: "plant-1/pump-7/overpressure/1700000005000",
      site,
      device,
      rule: "overpressure",
      state: "raised",
      severity: "critical",
      t: T0 + 5000,
      raisedAt: T0 + 5000,
      message: "pressure above 120 kPa",
      value: 130.5,
      score: 0.97,
    },
  },
  {
    name: "alerts-acknowledged-nan",
    description: "an acknowledged alert whose last value was NaN (sensor fault)",
    kind: "alerts",
    value: {
      v: 1,
      id: "a-2",
      site,
      device,
      rule: "flow-lost",
      state: "acknowledged",
      severity: "warning",
      t: T0 + 9000,
      raisedAt: T0 + 1000,
      value: Number.NaN,
      ackBy: "operator@example.com",
    },
  },
  {
    name: "commands-basic",
    description: "a command with args",
    kind: "commands",
    value: { v: 1, id: "cmd-01HF8", device, t: T0, name: "set-interval", args: { ms: 500 } },
  },
  {
    name: "commandResults-ok",
    description: "the device's result of a command",
    kind: "commandResults",
    value: {
      v: 1,
      device,
      boot,
      seq: 9,
      id: "cmd-01HF8",
      t: T0 + 20,
      ok: true,
      result: { interval: 500 },
    },
  },
  {
    name: "commandResults-error",
    description: "a failed command",
    kind: "commandResults",
    value: {
      v: 1,
      device,
      boot,
      seq: 10,
      id: "cmd-01HF9",
      t: T0 + 30,
      ok: false,
      error: "unknown command",
    },
  },
  {
    name: "desiredConfig",
    description: "retained desired rules (YAML text)",
    kind: "desiredConfig",
    value: {
      v: 1,
      version: 3,
      t: T0,
      rules:
        "rules:\n  - id: overpressure\n    when: pressure > 120 for 5s\n    severity: critical\n",
    },
  },
  {
    name: "reportedConfig",
    description: "the device applied config version 3",
    kind: "reportedConfig",
    value: { v: 1, device, boot, seq: 11, t: T0 + 40, version: 3, ok: true },
  },
];

export const rawPayloadCases: RawPayloadCase[] = [
  {
    name: "error-telemetry-version-2",
    description: "schema major version 2: rejected before the body is read",
    kind: "telemetry",
    cbor: encodeCbor({ v: 2, device, boot, seq: 1, readings: [] }),
    error: "version",
  },
  {
    name: "error-events-bignum-version",
    description: "v written as a CBOR bignum (tag 2): rejected as an unknown version, not a crash",
    kind: "events",
    cbor: Uint8Array.from([0xa1, 0x61, 0x76, 0xc2, 0x41, 0x01]),
    error: "version",
  },
  {
    name: "error-state-not-a-map",
    description: "a CBOR array instead of a map",
    kind: "state",
    cbor: encodeCbor([1, device]),
    error: "not-a-map",
  },
  {
    name: "error-telemetry-fractional-timestamp",
    description: "a reading time of 1700000000000.5 ms (float64): timestamps must be integers",
    kind: "telemetry",
    cbor: encodeCbor({
      v: 1,
      device,
      boot,
      seq: 1,
      readings: [{ sensor: "temp", t: T0 + 0.5, value: 1 }],
    }),
    error: "schema",
  },
  {
    name: "error-events-truncated",
    description: "truncated CBOR",
    kind: "events",
    cbor: encodeCbor({ v: 1, device, boot, seq: 1, t: T0, type: "x" }).subarray(0, 20),
    error: "cbor",
  },
];
