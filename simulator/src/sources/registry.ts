/** One table from source type to builder; nothing else switches on source kinds. */
import { Prng } from "../random";
import type { SourceSpec } from "../spec/sources";
import type { CsvCache } from "./csv";
import { combine, constant, noise, randomWalk, sine, steps } from "./generators";
import { replay } from "./replay";
import type { ValueSource } from "./source";

export interface BuildContext {
  seed: number;
  /** Stable name of the series (device/sensor); each node of the source tree adds its path. */
  key: string;
  start: number;
  baseDir: string;
  csv: CsvCache;
}

type Builder<T extends SourceSpec["type"]> = (spec: Extract<SourceSpec, { type: T }>, rng: Prng, ctx: BuildContext) => ValueSource;

const builders: { [T in SourceSpec["type"]]: Builder<T> } = {
  constant: (s) => constant(s),
  sine: (s, rng) => sine(s, rng),
  randomWalk: (s, rng) => randomWalk(s, rng),
  noise: (s, rng) => noise(s, rng),
  steps: (s, rng, ctx) => steps(s, rng, ctx.start),
  replay: (s, rng, ctx) => replay(s, rng, ctx.baseDir, ctx.csv),
  sum: (s, _rng, ctx) => combine(s.of.map((p, i) => buildSource(p, { ...ctx, key: `${ctx.key}/${i}` })), "sum"),
  product: (s, _rng, ctx) => combine(s.of.map((p, i) => buildSource(p, { ...ctx, key: `${ctx.key}/${i}` })), "product"),
};

export function buildSource(spec: SourceSpec, ctx: BuildContext): ValueSource {
  const build = builders[spec.type] as Builder<typeof spec.type>;
  return build(spec as never, Prng.derive(ctx.seed, "source", ctx.key), ctx);
}
