import { describe, expect, it } from "vitest";
import type { Reading } from "@fieldline/firmware-contracts";
import { Batcher } from "../src/agent/batcher";
import { decodeMarks, encodeMarks } from "../src/agent/marks";

const r = (value: number): Reading => ({ sensor: "s", t: 1000 + value, value });

function batcher(maxBatch: number) {
  const flushes: { batches: number[][]; metas: unknown[] }[] = [];
  const b = new Batcher<string>({ maxBatch, lingerMs: 60_000, flush: (batches, metas) => flushes.push({ batches: batches.map((x) => x.map((y) => y.value)), metas }) });
  return { b, flushes };
}

describe("Batcher", () => {
  it("closes a batch at maxBatch readings outside groups", () => {
    const { b, flushes } = batcher(3);
    for (let i = 0; i < 7; i++) b.add(r(i));
    expect(flushes).toEqual([
      { batches: [[0, 1, 2]], metas: [] },
      { batches: [[3, 4, 5]], metas: [] },
    ]);
    b.stop();
    expect(flushes[2]).toEqual({ batches: [[6]], metas: [] });
  });

  it("never flushes inside a group; a big group becomes several batches handed over in one call, with its meta", () => {
    const { b, flushes } = batcher(3);
    b.add(r(0));
    expect(b.group(() => [1, 2, 3, 4, 5, 6, 7].forEach((v) => b.add(r(v))), "m1")).toBe(true);
    expect(flushes).toEqual([{ batches: [[0, 1, 2], [3, 4, 5], [6, 7]], metas: ["m1"] }]);
  });

  it("keeps a group's meta with the batch holding its last reading, and runs stored-callbacks after that flush", () => {
    const { b, flushes } = batcher(10);
    const done: string[] = [];
    b.group(() => b.add(r(1)), "a");
    b.whenFlushed(() => done.push("a"));
    b.group(() => b.add(r(2)), "b");
    expect(flushes).toEqual([]);
    expect(done).toEqual([]);
    b.flush();
    expect(flushes).toEqual([{ batches: [[1, 2]], metas: ["a", "b"] }]);
    expect(done).toEqual(["a"]);
  });

  it("drops a group's meta when nothing is pending to carry it", () => {
    const { b, flushes } = batcher(10);
    expect(b.group(() => undefined, "nothing")).toBe(false);
    b.flush();
    expect(flushes).toEqual([]);
  });
});

describe("stored marks as outbox meta", () => {
  it("round-trip, and unreadable or invalid entries are skipped", () => {
    const m = encodeMarks([[{ input: "mcu", boot: 4, seqs: [1, 2] }], [{ input: "mcu", boot: "b", seqs: [3] }]], () => undefined)!;
    expect(decodeMarks([m])).toEqual([
      { input: "mcu", boot: 4, seqs: [1, 2] },
      { input: "mcu", boot: "b", seqs: [3] },
    ]);
    const junk = [new Uint8Array(Buffer.from("{not json")), new Uint8Array(Buffer.from('{"a":1}')), new Uint8Array(Buffer.from('[{"input":"x","boot":-1,"seqs":[1]},{"input":"x","boot":1,"seqs":[70000]},null,{"input":"y","boot":1,"seqs":[5]}]'))];
    expect(decodeMarks(junk)).toEqual([{ input: "y", boot: 1, seqs: [5] }]);
    expect(encodeMarks([], () => undefined)).toBeUndefined();
  });

  it("marks too large for one record are left out and reported", () => {
    const big: number[] = [];
    const seqs = Array.from({ length: 20_000 }, (_, i) => i);
    expect(encodeMarks([[{ input: "mcu", boot: 1, seqs }]], (n) => big.push(n))).toBeUndefined();
    expect(big[0]).toBeGreaterThan(65_535);
  });
});
