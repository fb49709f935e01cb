/** Property tests (fast-check): round trips, and a decoder that never throws or hangs. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { TOPIC_KINDS, decodePayload, encodePayload, type TopicKind } from "../src";
import { FrameDecoder, encodeFrame, type FrameResult } from "../src/serial";
import { aFrame, aPayload } from "./arbitraries";

/** Splits bytes at the given cut points (any values; normalised into range). */
function chunk(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let at = 0;
  for (const p of [...points, bytes.length]) {
    out.push(bytes.subarray(at, p));
    at = p;
  }
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function feed(d: FrameDecoder, chunks: Uint8Array[]): FrameResult[] {
  return chunks.flatMap((c) => d.push(c));
}

const KINDS = Object.keys(TOPIC_KINDS) as TopicKind[];
const cuts = fc.array(fc.nat(), { maxLength: 20 });

describe("serial frame properties", () => {
  it("encode -> decode is the identity, in any chunking", () => {
    fc.assert(
      fc.property(fc.array(aFrame, { minLength: 1, maxLength: 5 }), cuts, (frames, cutPoints) => {
        const d = new FrameDecoder();
        const rs = feed(d, chunk(concat(frames.map(encodeFrame)), cutPoints));
        expect(rs).toEqual(frames.map((f) => ({ ok: true, frame: { version: 1, ...f } })));
        expect(d.counters.frames).toBe(frames.length);
      }),
      { numRuns: 300 },
    );
  });

  it("recovers every frame after garbage that ends in a delimiter", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.uint8Array({ maxLength: 200 }), aFrame), {
          minLength: 1,
          maxLength: 4,
        }),
        cuts,
        (pairs, cutPoints) => {
          const stream = concat(
            pairs.flatMap(([junk, f]) => [junk, Uint8Array.of(0), encodeFrame(f)]),
          );
          const rs = feed(new FrameDecoder(), chunk(stream, cutPoints));
          const frames = rs.flatMap((r) => (r.ok ? [r.frame] : []));
          expect(frames).toEqual(pairs.map(([, f]) => ({ version: 1, ...f })));
        },
      ),
      { numRuns: 200 },
    );
  });

  it("never throws, never hangs, and keeps its counters consistent on random bytes", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 3000 }),
        cuts,
        fc.integer({ min: 16, max: 5000 }),
        (bytes, cutPoints, maxFrameBytes) => {
          const d = new FrameDecoder({ maxFrameBytes });
          const rs = feed(d, chunk(bytes, cutPoints));
          const c = d.counters;
          expect(c.bytes).toBe(bytes.length);
          expect(c.frames + c.errors).toBe(rs.length);
          expect(c.crc + c.cobs + c.oversize + c.version + c.type + c.cbor + c.schema).toBe(
            c.errors,
          );
          // At most one result per delimiter, plus one oversize report per frame.
          expect(rs.length).toBeLessThanOrEqual(2 * (bytes.filter((b) => b === 0).length + 1));
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("never accepts a frame with one flipped bit", () => {
    fc.assert(
      fc.property(aFrame, fc.nat(), fc.nat({ max: 7 }), (frame, at, bit) => {
        const wire = encodeFrame(frame);
        const i = at % (wire.length - 1); // not the delimiter
        wire[i] = wire[i]! ^ (1 << bit);
        const rs = new FrameDecoder().push(wire);
        expect(rs.filter((r) => r.ok)).toEqual([]);
      }),
      { numRuns: 1000 },
    );
  });

  it("never throws on frames with bytes inserted, deleted or overwritten", () => {
    fc.assert(
      fc.property(
        aFrame,
        fc.array(
          fc.tuple(
            fc.constantFrom("insert", "delete", "set"),
            fc.nat(),
            fc.integer({ min: 0, max: 255 }),
          ),
          {
            minLength: 1,
            maxLength: 8,
          },
        ),
        (frame, edits) => {
          const bytes = [...encodeFrame(frame)];
          for (const [op, at, value] of edits) {
            const i = at % (bytes.length + 1);
            if (op === "insert") bytes.splice(i, 0, value);
            else if (op === "delete") bytes.splice(i, 1);
            else bytes[Math.min(i, bytes.length - 1)] = value;
          }
          const d = new FrameDecoder();
          const rs = [...d.push(Uint8Array.from(bytes)), ...d.push(Uint8Array.of(0))];
          for (const r of rs) if (!r.ok) expect(r.error.message.length).toBeGreaterThan(0);
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe("payload properties", () => {
  it.each(KINDS)("%s: encode -> decode is the identity", (kind) => {
    fc.assert(
      fc.property(aPayload[kind], (value) => {
        expect(decodePayload(kind, encodePayload(kind, value as never))).toEqual({
          ok: true,
          value,
        });
      }),
      { numRuns: 200 },
    );
  });

  it("decodePayload never throws on random or mutated bytes", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...KINDS),
        fc.oneof(
          fc.uint8Array({ maxLength: 500 }),
          fc
            .tuple(aPayload.telemetry, fc.nat(), fc.integer({ min: 0, max: 255 }))
            .map(([value, at, b]) => {
              const bytes = encodePayload("telemetry", value);
              bytes[at % bytes.length] = b;
              return bytes;
            }),
        ),
        (kind, bytes) => {
          const out = decodePayload(kind, bytes);
          expect(typeof out.ok).toBe("boolean");
        },
      ),
      { numRuns: 1000 },
    );
  });
});
