/** Value generators. Each is a small stateful object fed increasing event times. */
import type { Prng } from "../random";
import type { SourceSpec } from "../spec/sources";
import type { ValueSource } from "./source";

type Spec<T extends SourceSpec["type"]> = Extract<SourceSpec, { type: T }>;

export function constant(spec: Spec<"constant">): ValueSource {
  return { valueAt: () => spec.value };
}

export function sine(spec: Spec<"sine">, rng: Prng): ValueSource {
  const shift = spec.randomPhase ? rng.next() * spec.period : 0;
  const w = (2 * Math.PI) / spec.period;
  return { valueAt: (t) => spec.mean + spec.amplitude * Math.cos(w * (t - spec.peakAt - shift)) };
}

export function randomWalk(spec: Spec<"randomWalk">, rng: Prng): ValueSource {
  let x: number | undefined;
  return {
    valueAt: () => {
      if (x === undefined) {
        x = spec.start;
        return x;
      }
      x += spec.step * rng.normal() + spec.reversion * (spec.start - x);
      if (spec.max !== undefined && x > spec.max) x = 2 * spec.max - x;
      if (spec.min !== undefined && x < spec.min) x = 2 * spec.min - x;
      if (spec.max !== undefined && x > spec.max) x = spec.max;
      return x;
    },
  };
}

export function noise(spec: Spec<"noise">, rng: Prng): ValueSource {
  return {
    valueAt: () => spec.mean + spec.sigma * (spec.distribution === "normal" ? rng.normal() : 2 * rng.next() - 1),
  };
}

export function steps(spec: Spec<"steps">, _rng: Prng, start: number): ValueSource {
  const n = spec.values.length;
  return {
    valueAt: (t) => {
      const k = Math.max(0, Math.floor((t - start) / spec.every));
      return spec.values[spec.loop ? k % n : Math.min(k, n - 1)]!;
    },
  };
}

export function combine(parts: ValueSource[], op: "sum" | "product"): ValueSource {
  const schedule = parts.find((p) => p.schedule)?.schedule;
  return {
    valueAt: (t) => parts.reduce((acc, p) => (op === "sum" ? acc + p.valueAt(t) : acc * p.valueAt(t)), op === "sum" ? 0 : 1),
    ...(schedule ? { schedule } : {}),
  };
}
