import { describe, expect, it } from "vitest";
import { encodeCbor } from "../cbor";
import { cobsDecode } from "./cobs";
import { FRAME_TYPES } from "./bodies";
import {
  FrameError,
  FRAME_VERSION,
  MAX_FRAME_BYTES,
  encodeFrame,
  encodeRawFrame,
  parseFrame,
  type FrameInput,
} from "./frame";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

/** Decodes one wire frame (with its trailing 0x00) without the streaming decoder. */
function parseWire(wire: Uint8Array) {
  expect(wire.at(-1)).toBe(0);
  const body = wire.subarray(0, -1);
  expect(body.includes(0)).toBe(false);
  return parseFrame(cobsDecode(body)!, body);
}

const samples: FrameInput[] = [
  {
    type: "readings",
    seq: 7,
    body: { readings: [{ sensor: "temp", value: 21.5, t: 1234, q: 0 }] },
  },
  { type: "readings", seq: 0, body: { readings: [] } },
  {
    type: "hello",
    seq: 1,
    body: {
      firmware: "1.4.2",
      sensors: [{ id: "temp", unit: "Cel", kind: "temperature" }],
      hardware: "rev-c",
    },
  },
  {
    type: "event",
    seq: 65535,
    body: { type: "fault", code: -5, message: "ADC timeout", severity: "warning" },
  },
  { type: "command", seq: 9, body: { id: 17, name: "set-interval", args: { ms: 500 } } },
  { type: "ack", seq: 9, body: { id: 17, ok: false, error: "busy" } },
];

describe("frame encode/parse", () => {
  it.each(samples)("round-trips a $type frame", (input) => {
    const out = parseWire(encodeFrame(input));
    expect(out).toEqual({ ok: true, frame: { version: FRAME_VERSION, ...input } });
  });

  it("lays out version, type, big-endian seq, CBOR body and big-endian CRC-32", () => {
    const wire = encodeFrame({ type: "ack", seq: 0x0102, body: { id: 1, ok: true } });
    const raw = cobsDecode(wire.subarray(0, -1))!;
    const body = encodeCbor({ id: 1, ok: true });
    expect(hex(raw.subarray(0, 4))).toBe("01050102");
    expect(hex(raw.subarray(4, 4 + body.length))).toBe(hex(body));
    expect(raw.length).toBe(4 + body.length + 4);
  });

  it("throws FrameError on an invalid body, seq or size", () => {
    const bad = {
      type: "readings",
      seq: 1,
      body: { readings: [{ sensor: "a/b", value: 1 }] },
    } as FrameInput;
    expect(() => encodeFrame(bad)).toThrow(FrameError);
    expect(() => encodeFrame({ type: "ack", seq: 65536, body: { id: 1, ok: true } })).toThrow(
      /seq/,
    );
    const huge = {
      type: "event",
      seq: 1,
      body: { type: "x".repeat(MAX_FRAME_BYTES) },
    } as FrameInput;
    expect(() => encodeFrame(huge)).toThrow(FrameError);
    const big = {
      type: "command",
      seq: 1,
      body: { id: 1, name: "x", args: { blob: "y".repeat(MAX_FRAME_BYTES) } },
    };
    expect(() => encodeFrame(big as FrameInput)).toThrow(/oversize|limit/);
  });

  it("reports each kind of bad frame with its reason", () => {
    const body = encodeCbor({ id: 1, ok: true });
    const cases: [string, Uint8Array][] = [
      ["version", encodeRawFrame(2, FRAME_TYPES.ack.code, 1, body)],
      ["type", encodeRawFrame(FRAME_VERSION, 0x7f, 1, body)],
      [
        "cbor",
        encodeRawFrame(FRAME_VERSION, FRAME_TYPES.ack.code, 1, new Uint8Array([0xa1, 0x61])),
      ],
      [
        "cbor",
        encodeRawFrame(FRAME_VERSION, FRAME_TYPES.ack.code, 1, new Uint8Array([0x01, 0x02])),
      ],
      ["schema", encodeRawFrame(FRAME_VERSION, FRAME_TYPES.ack.code, 1, encodeCbor({ id: 1 }))],
      ["schema", encodeRawFrame(FRAME_VERSION, FRAME_TYPES.ack.code, 1, encodeCbor([1, 2]))],
    ];
    for (const [reason, wire] of cases) {
      const out = parseWire(wire);
      expect(out.ok ? "ok" : out.error.reason).toBe(reason);
    }
  });

  it("reports a flipped bit and a short frame as CRC errors", () => {
    const wire = encodeFrame({ type: "ack", seq: 3, body: { id: 1, ok: true } });
    const raw = cobsDecode(wire.subarray(0, -1))!;
    raw[5] = raw[5]! ^ 0x10;
    const out = parseFrame(raw, raw);
    expect(!out.ok && out.error.reason).toBe("crc");
    const short = parseFrame(new Uint8Array([1, 5, 0, 1]), new Uint8Array(0));
    expect(!short.ok && short.error.reason).toBe("crc");
  });

  it("ignores unknown body fields", () => {
    const wire = encodeRawFrame(
      FRAME_VERSION,
      FRAME_TYPES.ack.code,
      4,
      encodeCbor({ id: "c-9", ok: true, later: 1 }),
    );
    const out = parseWire(wire);
    expect(out.ok && out.frame.body).toEqual({ id: "c-9", ok: true });
  });
});

describe("size limits", () => {
  it("fits the largest readings and hello bodies the schemas allow in one frame", () => {
    const longId = "s".repeat(64);
    const readings = Array.from({ length: 32 }, () => ({
      sensor: longId,
      value: 1.1,
      t: Number.MAX_SAFE_INTEGER,
      q: 2,
    }));
    expect(() => encodeFrame({ type: "readings", seq: 1, body: { readings } })).not.toThrow();
    const sensors = Array.from({ length: 32 }, () => ({
      id: longId,
      unit: "u".repeat(16),
      kind: "k".repeat(16),
    }));
    const hello = { firmware: "f".repeat(64), hardware: "h".repeat(64), sensors };
    expect(() => encodeFrame({ type: "hello", seq: 1, body: hello })).not.toThrow();
  });

  it("rejects a 33rd reading", () => {
    const readings = Array.from({ length: 33 }, () => ({ sensor: "t", value: 1 }));
    expect(() => encodeFrame({ type: "readings", seq: 1, body: { readings } })).toThrow(/readings/);
  });
});
