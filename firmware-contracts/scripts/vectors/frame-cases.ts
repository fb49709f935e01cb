/** Golden serial frame cases: every type, edge cases, and one invalid frame per error reason. */
import { encodeCbor } from "../../src";
import { FRAME_TYPES, FRAME_VERSION, MAX_FRAME_READINGS, encodeRawFrame } from "../../src/serial";
import { sensorIds, type FrameCase, type RawFrameCase } from "./types";

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
    name: "hello-boot-id",
    description: "a hello carrying the MCU boot id (optional; lets the host drop retransmits across host restarts)",
    frame: { type: "hello", seq: 0, body: { firmware: "1.5.0", sensors: [{ id: "temp", unit: "Cel" }], boot: 2882400001 } },
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
  {
    name: "ack-readings",
    description: "host to MCU: readings frame seq 1234 is stored (reliable delivery)",
    frame: { type: "ack", seq: 5, body: { id: 1234, ok: true, of: "readings" } },
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
