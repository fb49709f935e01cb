import type { Condition } from "../types.ts";
import { DeadbandEngine } from "./deadband.ts";
import type { LeafEngine } from "./leaf.ts";
import { RateEngine } from "./rate.ts";
import { StaleEngine } from "./stale.ts";
import { ThresholdEngine } from "./threshold.ts";

type LeafCondition = Extract<Condition, { kind: "threshold" | "rate" | "stale" | "deadband" }>;

/** The one table of leaf kinds: the compiler looks engines up here and nowhere else. */
export const leafKinds: {
  [K in LeafCondition["kind"]]: (c: Extract<Condition, { kind: K }>) => LeafEngine;
} = {
  threshold: (c) => new ThresholdEngine(c) as LeafEngine,
  rate: (c) => new RateEngine(c) as LeafEngine,
  stale: (c) => new StaleEngine(c) as LeafEngine,
  deadband: (c) => new DeadbandEngine(c) as LeafEngine,
};

export type Tree = (states: unknown[]) => boolean;

/**
 * Flattens a condition into its leaves (in document order) and a boolean function over
 * their states (all / any / not).
 */
export function compileCondition(c: Condition): { leaves: LeafEngine[]; tree: Tree } {
  const leaves: LeafEngine[] = [];
  const build = (c: Condition): Tree => {
    switch (c.kind) {
      case "all": {
        const parts = c.of.map(build);
        return (s) => {
          for (const p of parts) if (!p(s)) return false;
          return true;
        };
      }
      case "any": {
        const parts = c.of.map(build);
        return (s) => {
          for (const p of parts) if (p(s)) return true;
          return false;
        };
      }
      case "not": {
        const inner = build(c.of);
        return (s) => !inner(s);
      }
      default: {
        const engine = (leafKinds[c.kind] as (c: LeafCondition) => LeafEngine)(c);
        const i = leaves.length;
        leaves.push(engine);
        return (s) => engine.value(s[i]);
      }
    }
  };
  const tree = build(c);
  return { leaves, tree };
}
