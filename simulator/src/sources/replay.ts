/**
 * Replays a CSV series. `interval` timing plays one row per sample; `original` timing keeps
 * the file's spacing, shifted so the first played row falls on the run's start.
 */
import path from "node:path";
import type { Prng } from "../random";
import type { SourceSpec } from "../spec/sources";
import type { CsvCache } from "./csv";
import type { ValueSource } from "./source";

export function replay(spec: Extract<SourceSpec, { type: "replay" }>, rng: Prng, baseDir: string, cache: CsvCache): ValueSource {
  const file = path.resolve(baseDir, spec.file);
  const { times, values } = cache.get(file, spec.column);
  const n = values.length;
  const first = spec.randomStart ? rng.int(n) : 0;
  let row = first;
  const value = (): number => {
    const i = spec.loop ? row % n : Math.min(row, n - 1);
    row++;
    return values[i]! * spec.scale + spec.offset;
  };
  if (spec.timing === "interval") return { valueAt: value };

  const span = times[n - 1]! - times[0]! + (n > 1 ? (times[n - 1]! - times[0]!) / (n - 1) : 1);
  return {
    valueAt: value,
    schedule(start: number): Iterator<number> {
      let k = first;
      return {
        next(): IteratorResult<number> {
          if (!spec.loop && k >= n) return { done: true, value: undefined };
          const lap = Math.floor(k / n);
          const t = start + (times[k % n]! - times[first]!) + lap * span;
          k++;
          return { done: false, value: Math.round(t) };
        },
      };
    },
  };
}
