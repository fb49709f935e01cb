import type { Telemetry } from "@fieldline/firmware-contracts";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatFloat, seriesKey, toLine } from "../../src/sinks/line-protocol.ts";
import { LineWriter } from "../../src/sinks/line-writer.ts";
import { joinBatches } from "../../src/sinks/sink.ts";
import { faultCode, TelemetryLines } from "../../src/sinks/telemetry-lines.ts";

const text = (b: Uint8Array | string) => (typeof b === "string" ? b : Buffer.from(b).toString("utf8"));

function written(f: (w: LineWriter) => void): string {
  const w = new LineWriter(16);
  w.reserve(64);
  f(w);
  return text(w.take());
}

/** The string-building implementation TelemetryLines replaced: its output is the reference. */
function before(site: string, msg: Telemetry, scores: Float64Array | undefined): string {
  let out = "";
  for (let i = 0; i < msg.readings.length; i++) {
    const rd = msg.readings[i]!;
    out += seriesKey("telemetry", { device: msg.device, sensor: rd.sensor, site });
    if (Number.isFinite(rd.value)) {
      out += " value=" + formatFloat(rd.value);
      const sc = scores?.[i];
      if (sc !== undefined && Number.isFinite(sc)) out += ",score=" + formatFloat(sc);
    } else {
      out += " fault=" + faultCode(rd.value);
    }
    if (rd.q !== undefined) out += ",q=" + rd.q;
    out += " " + rd.t + "\n";
  }
  return out;
}

/** The same points through toLine (Point objects), the sinks' general path. */
function viaPoints(site: string, msg: Telemetry, scores: Float64Array | undefined): string {
  return msg.readings
    .map((rd, i) => {
      const fields: Record<string, number> = Number.isFinite(rd.value) ? { value: rd.value, score: scores?.[i] ?? NaN } : { fault: faultCode(rd.value) };
      if (rd.q !== undefined) fields.q = rd.q;
      return toLine({ measurement: "telemetry", tags: { device: msg.device, sensor: rd.sensor, site }, fields, t: rd.t }) + "\n";
    })
    .join("");
}

const edgeFloats = [0, -0, 1, -1, 0.1, 0.5, 1e-7, 1.5e-7, 1e-6, 5e-324, -5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, -1.7976931348623157e308, 1e21, 1e21 - 65536, 999999999999999900000, 1e22, -1e21, 2 ** 53 - 1, 2 ** 53, 2 ** 53 + 2, -(2 ** 53), 2 ** 63, 1e16, 123456789012345680, 99999999, 1e8, 100000001, 0.30000000000000004, 1 / 3, 20.123456789012345];
/** Integers just around multiples of 1e8, where splitting into halves is delicate. */
const nearSplits = [1, 7, 12345678, 90071992, 90071991].flatMap((k) => [-1, 0, 1].map((d) => k * 1e8 + d)).filter((v) => Number.isSafeInteger(v));

describe("LineWriter", () => {
  it("writes floats exactly as formatFloat does", () => {
    for (const v of edgeFloats) expect(written((w) => w.float(v))).toBe(formatFloat(v));
    fc.assert(
      fc.property(fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.maxSafeInteger(), fc.integer(), fc.double({ min: -1e22, max: 1e22, noNaN: true }).map(Math.round)), (v) => {
        expect(written((w) => w.float(v))).toBe(formatFloat(v));
      }),
      { numRuns: 20_000 },
    );
  });

  it("writes safe integers as String does (-0 as 0)", () => {
    for (const v of [0, -0, 9, 10, -10, 99_999_999, 100_000_000, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 1_700_000_000_000, ...nearSplits, ...nearSplits.map((v) => -v)]) {
      expect(written((w) => w.int(v))).toBe(String(v));
    }
    fc.assert(
      fc.property(fc.oneof(fc.maxSafeInteger(), fc.integer(), fc.nat({ max: 1e9 })), (v) => {
        expect(written((w) => w.int(v))).toBe(String(v));
      }),
      { numRuns: 20_000 },
    );
  });

  it("hands out views that later writes and new slabs leave alone; consecutive ones join without a copy", () => {
    const w = new LineWriter(256);
    const taken: { view: Uint8Array; want: string }[] = [];
    for (let i = 0; i < 200; i++) {
      let want = "";
      for (let j = 0; j < i % 7; j++) {
        w.reserve(40);
        w.ascii("m v=");
        w.int(i * 1000 + j);
        w.byte(10);
        want += `m v=${i * 1000 + j}\n`;
      }
      taken.push({ view: w.take(), want });
    }
    for (const t of taken) expect(text(t.view)).toBe(t.want);
    const batches = taken.map((t) => ({ lines: t.view, points: 1 }));
    const joined = joinBatches(batches);
    expect(text(joined.lines)).toBe(taken.map((t) => t.want).join(""));
    expect(joined.points).toBe(200);
    // Two views from one slab, one after the other: the joined batch is a view of that slab.
    const a = taken[3]!.view;
    const b = taken[4]!.view;
    const ab = joinBatches([{ lines: a, points: 1 }, { lines: b, points: 1 }]).lines as Uint8Array;
    expect(ab.buffer).toBe(a.buffer);
    expect(text(ab)).toBe(taken[3]!.want + taken[4]!.want);
    // Text and bytes together, and text alone.
    expect(text(joinBatches([{ lines: "x 1\n", points: 1 }, { lines: b, points: 1 }, { lines: "y 2\n", points: 1 }]).lines)).toBe("x 1\n" + taken[4]!.want + "y 2\n");
    expect(joinBatches([{ lines: "x 1\n", points: 1 }, { lines: "y 2\n", points: 1 }]).lines).toBe("x 1\ny 2\n");
  });

  it("grows its buffer and keeps what was written", () => {
    const w = new LineWriter(8);
    let want = "";
    for (let i = 0; i < 1000; i++) {
      w.reserve(40);
      w.ascii("abc ");
      w.int(i * 1_000_003);
      w.byte(10);
      want += `abc ${i * 1_000_003}\n`;
    }
    expect(text(w.take())).toBe(want);
    expect(text(w.take())).toBe("");
  });
});

const idChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-".split("");
const anId = fc.string({ unit: fc.constantFrom(...idChars), minLength: 1, maxLength: 64 });
/** Tag values ids never have (the line protocol escapes must still come out the same). */
const oddTag = fc.oneof(anId, fc.constantFrom("a b", "a,b", "a=b", "a\\b", "ä-ü", "日本", "x\u{1F600}y"));
const aValue = fc.oneof(fc.double(), fc.constantFrom(NaN, Infinity, -Infinity, 0, -0, 1e21, 5e-324, 2 ** 53), fc.maxSafeInteger());
const aMessage = fc.record({
  v: fc.constant(1 as const),
  device: oddTag,
  boot: fc.constant("b"),
  seq: fc.nat(),
  readings: fc.array(
    fc.record({ sensor: oddTag, t: fc.oneof(fc.maxSafeInteger(), fc.constant(-0)), value: aValue, q: fc.constantFrom(0, 1, 2, -0) }, { requiredKeys: ["sensor", "t", "value"] }),
    { maxLength: 30 },
  ),
});

describe("TelemetryLines", () => {
  it("writes the same line protocol as before, and as toLine, with and without scores", () => {
    const lines = new TelemetryLines();
    fc.assert(
      fc.property(oddTag, aMessage, fc.boolean(), fc.array(fc.oneof(fc.double({ min: 0, max: 1 }), fc.constant(NaN)), { maxLength: 30 }), (site, msg, scored, s) => {
        const scores = scored ? Float64Array.from(msg.readings, (_, i) => s[i] ?? NaN) : undefined;
        const got = lines.lines(site, msg, scores);
        expect(got.points).toBe(msg.readings.length);
        expect(text(got.lines)).toBe(before(site, msg, scores));
        expect(text(got.lines)).toBe(viaPoints(site, msg, scores));
      }),
      { numRuns: 3000 },
    );
  });

  it("a golden message", () => {
    const msg: Telemetry = {
      v: 1,
      device: "dev-1",
      boot: "b",
      seq: 0,
      readings: [
        { sensor: "temp", t: 1_700_000_000_123, value: 21.5, q: 1 },
        { sensor: "temp", t: 1_700_000_001_123, value: NaN },
        { sensor: "hum", t: 1_700_000_002_123, value: 40 },
        { sensor: "hum", t: 1_700_000_003_123, value: -Infinity, q: 2 },
      ],
    };
    expect(text(new TelemetryLines().lines("plant 1", msg, Float64Array.of(0.25, NaN, NaN, 0.5)).lines)).toBe(
      [
        "telemetry,device=dev-1,sensor=temp,site=plant\\ 1 value=21.5,score=0.25,q=1 1700000000123",
        "telemetry,device=dev-1,sensor=temp,site=plant\\ 1 fault=1 1700000001123",
        "telemetry,device=dev-1,sensor=hum,site=plant\\ 1 value=40 1700000002123",
        "telemetry,device=dev-1,sensor=hum,site=plant\\ 1 fault=3,q=2 1700000003123",
        "",
      ].join("\n"),
    );
  });
});
