/**
 * Random sequences of append / read / ack (in any order) / crash (reopen without close) /
 * clean reopen against a model: after every reopen the outbox yields, in append order and
 * once each, every record never acknowledged (acked ones may come back if the crash beat the
 * cursor write: duplicates the cloud drops, never losses).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SegmentOutbox } from "../src/outbox";

type Op =
  | { op: "append"; n: number }
  | { op: "readAck"; n: number; ackMask: number[] }
  | { op: "crash"; flushed: boolean }
  | { op: "reopen" };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant("append" as const), n: fc.integer({ min: 1, max: 60 }) }),
  fc.record({
    op: fc.constant("readAck" as const),
    n: fc.integer({ min: 1, max: 40 }),
    ackMask: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 40, maxLength: 40 }),
  }),
  fc.record({ op: fc.constant("crash" as const), flushed: fc.boolean() }),
  fc.record({ op: fc.constant("reopen" as const) }),
);

const payload = (i: number) => {
  const p = new Uint8Array(8 + (i % 50));
  new DataView(p.buffer).setUint32(0, i);
  return p;
};
const num = (p: Uint8Array) => new DataView(p.buffer, p.byteOffset).getUint32(0);

describe("SegmentOutbox against a model", () => {
  it("never loses an unacked record and keeps append order across crashes", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 30 }), async (ops) => {
        const dir = mkdtempSync(join(tmpdir(), "fl-outbox-prop-"));
        const open = async () => {
          const b = new SegmentOutbox({ dir, maxBytes: 1 << 24, segmentBytes: 4096, fsync: "never" });
          await b.open();
          return b;
        };
        try {
          let box = await open();
          let next = 0;
          const acked = new Set<number>();
          for (const o of ops) {
            if (o.op === "append") {
              for (let k = 0; k < o.n; k++) box.append({ kind: "telemetry", retain: false, payload: payload(next++) });
            } else if (o.op === "readAck") {
              const recs = box.read(o.n);
              // Ack a random subset in a scrambled order.
              const chosen = recs.filter((_, i) => o.ackMask[i]! > 0);
              chosen.sort((a, b) => (o.ackMask[recs.indexOf(a)]! - o.ackMask[recs.indexOf(b)]!) || b.id - a.id);
              for (const r of chosen) {
                box.ack(r.id);
                acked.add(num(r.payload));
              }
            } else {
              if (o.op === "reopen") await box.close();
              else if (o.flushed) await new Promise((r) => setImmediate(r));
              box = await open();
              const seen: number[] = [];
              for (let batch = box.read(100); batch.length > 0; batch = box.read(100)) seen.push(...batch.map((r) => num(r.payload)));
              // In order, no duplicates.
              for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThan(seen[i - 1]!);
              // Every record never acked is still there.
              const have = new Set(seen);
              for (let i = 0; i < next; i++) if (!acked.has(i)) expect(have.has(i)).toBe(true);
              expect(box.stats().depth).toBe(seen.length);
              box.rewind();
            }
          }
          await box.close();
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      }),
      { numRuns: 60 },
    );
  });
});
