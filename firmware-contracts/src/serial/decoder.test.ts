import { describe, expect, it } from "vitest";
import { encodeCbor } from "../cbor";
import { FRAME_TYPES } from "./bodies";
import { cobsDecode, cobsEncode } from "./cobs";
import { FrameDecoder } from "./decoder";
import { FRAME_VERSION, encodeFrame, encodeRawFrame, type FrameResult } from "./frame";

const f1 = encodeFrame({
  type: "readings",
  seq: 1,
  body: { readings: [{ sensor: "temp", value: 20.25, t: 10 }] },
});
const f2 = encodeFrame({ type: "event", seq: 2, body: { type: "boot" } });
const f3 = encodeFrame({ type: "ack", seq: 3, body: { id: 5, ok: true } });
const concat = (...parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((p) => [...p]));
const summary = (rs: FrameResult[]) =>
  rs.map((r) => (r.ok ? `${r.frame.type}#${r.frame.seq}` : r.error.reason));

describe("FrameDecoder", () => {
  it("decodes frames split at every possible point", () => {
    const stream = concat(f1, f2, f3);
    for (let cut = 0; cut <= stream.length; cut++) {
      const d = new FrameDecoder();
      const rs = [...d.push(stream.subarray(0, cut)), ...d.push(stream.subarray(cut))];
      expect(summary(rs)).toEqual(["readings#1", "event#2", "ack#3"]);
    }
  });

  it("decodes byte by byte", () => {
    const d = new FrameDecoder();
    const rs = [...concat(f1, f2)].flatMap((b) => d.push(Uint8Array.of(b)));
    expect(summary(rs)).toEqual(["readings#1", "event#2"]);
    expect(d.counters).toMatchObject({ frames: 2, errors: 0, bytes: f1.length + f2.length });
  });

  it("resyncs after garbage and counts the damaged frame", () => {
    const d = new FrameDecoder();
    const garbage = Uint8Array.from([0x13, 0x37, 0xff, 0x02]);
    const rs = d.push(concat(garbage, f1, Uint8Array.of(0x55, 0x66, 0x00), f2));
    // garbage without a 0x00 merges with f1 (one error), then a junk frame, then f2 clean.
    expect(rs.filter((r) => r.ok).map((r) => r.ok && r.frame.seq)).toEqual([2]);
    expect(d.counters.errors).toBe(2);
    expect(d.counters.frames).toBe(1);
  });

  it("recovers the next frame when garbage ends in 0x00 (a leading delimiter)", () => {
    const d = new FrameDecoder();
    const rs = d.push(concat(Uint8Array.of(0xde, 0xad, 0x00), f1));
    expect(summary(rs).at(-1)).toBe("readings#1");
  });

  it("treats repeated delimiters as idle, not errors", () => {
    const d = new FrameDecoder();
    const rs = d.push(concat(Uint8Array.of(0, 0, 0), f3, Uint8Array.of(0, 0)));
    expect(summary(rs)).toEqual(["ack#3"]);
    expect(d.counters.errors).toBe(0);
  });

  it("reports an oversize frame once, skips to the next delimiter, then decodes on", () => {
    const d = new FrameDecoder({ maxFrameBytes: 64 });
    const junk = new Uint8Array(500).fill(0x41);
    const rs = [
      ...d.push(junk.subarray(0, 100)),
      ...d.push(junk.subarray(100)),
      ...d.push(concat(Uint8Array.of(0), f3)),
    ];
    expect(summary(rs)).toEqual(["oversize", "ack#3"]);
    expect(d.counters.oversize).toBe(1);
    const first = rs[0]!;
    expect(!first.ok && first.error.bytes.length).toBeLessThanOrEqual(66);
  });

  it("reports oversize when a frame decodes past the limit", () => {
    const d = new FrameDecoder({ maxFrameBytes: 300 });
    // 302 code bytes 0x01 decode to 301 zero bytes: within the wire cap (302), over the limit.
    const rs = d.push(concat(new Uint8Array(302).fill(1), Uint8Array.of(0)));
    expect(summary(rs)).toEqual(["oversize"]);
  });

  it("reports bad COBS, bad CRC, version, type, CBOR and schema with counters", () => {
    const d = new FrameDecoder();
    const raw = cobsDecode(f3.subarray(0, -1))!;
    raw[raw.length - 1] = raw[raw.length - 1]! ^ 0x01;
    const badCrc = concat(cobsEncode(raw), Uint8Array.of(0));
    const ack = FRAME_TYPES.ack.code;
    const rs = d.push(
      concat(
        Uint8Array.of(0x09, 0x11, 0x00), // code byte 9 runs past the end
        badCrc,
        encodeRawFrame(9, ack, 1, encodeCbor({ id: 1, ok: true })),
        encodeRawFrame(FRAME_VERSION, 0x42, 1, encodeCbor({ id: 1, ok: true })),
        encodeRawFrame(FRAME_VERSION, ack, 1, Uint8Array.of(0xff)),
        encodeRawFrame(FRAME_VERSION, ack, 1, encodeCbor({ ok: "yes" })),
        f3,
      ),
    );
    expect(summary(rs)).toEqual(["cobs", "crc", "version", "type", "cbor", "schema", "ack#3"]);
    expect(d.counters).toMatchObject({
      cobs: 1,
      crc: 1,
      version: 1,
      type: 1,
      cbor: 1,
      schema: 1,
      errors: 6,
      frames: 1,
    });
    const version = rs[2]!;
    expect(!version.ok && version.error.message).toMatch(/version 9; this reader supports 1/);
  });

  it("reset() drops a partial frame", () => {
    const d = new FrameDecoder();
    d.push(f1.subarray(0, 5));
    d.reset();
    expect(summary(d.push(f2))).toEqual(["event#2"]);
  });
});
