import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { KnnScale, type KnnParams } from "./knn.ts";
import { ReferenceKnnScale } from "./knn-reference.ts";
import { DEFAULT_PARAMS } from "./ensemble.ts";

const NAB = join(import.meta.dirname, "../../../bench/data/nab");

function nab(file: string, limit: number): number[] {
  const lines = readFileSync(join(NAB, file), "utf8").trim().split("\n").slice(1, limit + 1);
  return lines.map((l) => Number(l.split(",")[1]));
}

/** Feeds both searches the same values; every novelty and error must be the same number. */
function same(p: KnnParams, xs: number[], restoreAt = -1): void {
  let fast = new KnnScale(p);
  const ref = new ReferenceKnnScale(p);
  for (let i = 0; i < xs.length; i++) {
    if (i === restoreAt) fast = new KnnScale(p, JSON.parse(JSON.stringify(fast.snapshot())));
    const a = fast.update(xs[i]!);
    const b = ref.update(xs[i]!);
    if (!Object.is(a.novelty, b.novelty) || !Object.is(a.error, b.error)) {
      expect({ i, ...a }).toEqual({ i, ...b });
    }
  }
  expect(fast.snapshot()).toEqual(ref.snapshot());
}

let seed = 7;
const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;

describe("KnnScale reproduces the plain search bit for bit", () => {
  const [fine, coarse] = DEFAULT_PARAMS.scales as [KnnParams, KnnParams];
  const small = (p: KnnParams): KnnParams => ({ ...p, ref: 300 });
  it("on NAB series (both default scales, through a restore)", () => {
    for (const f of ["realKnownCause/nyc_taxi.csv", "realTweets/Twitter_volume_AAPL.csv", "artificialWithAnomaly/art_daily_jumpsup.csv"]) {
      const xs = nab(f, 3200);
      same(fine, xs, 2500);
      same(coarse, xs, 2600);
    }
  });
  it("on exact repeats, flat stretches and quantised values, where distances tie", () => {
    const periodic = Array.from({ length: 1500 }, (_, i) => [0, 1, 2, 1][i % 4]!);
    const flat = Array.from({ length: 1500 }, (_, i) => (i < 700 ? 5 : i < 800 ? 5 + (i % 3) : 5));
    const quantised = Array.from({ length: 1500 }, () => Math.round(rnd() * 3));
    for (const xs of [periodic, flat, quantised]) {
      for (const p of [fine, coarse]) same(small(p), xs, 900);
      same({ dim: 3, step: 3, ref: 120, stride: 3, k: 2, predictK: 4 }, xs, 333);
    }
  });
  it("on a random walk with jumps and huge values (drift of the incremental distances)", () => {
    let v = 0;
    const walk = Array.from({ length: 3000 }, (_, i) => (v += rnd() - 0.5 + (i % 997 === 0 ? 50 : 0)));
    same(small(fine), walk, 1234);
    same(small(coarse), walk.map((x) => x * 1e140));
    same({ dim: 6, step: 2, ref: 200, stride: 1, k: 2, predictK: 3 }, walk.map((x) => 1e6 + x * 1e-6));
  });
});
