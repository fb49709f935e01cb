import type { Condition } from "../types.ts";
import { makeComparator } from "./comparator.ts";
import type { LeafEngine } from "./leaf.ts";

interface State {
  on: boolean;
}

export function thresholdEngine(c: Extract<Condition, { kind: "threshold" }>): LeafEngine<State> {
  const test = makeComparator(c.cmp);
  return {
    sensor: c.sensor,
    timed: false,
    init: () => ({ on: false }),
    push(s, r) {
      const on = test(s.on, r.value);
      if (on === s.on) return false;
      s.on = on;
      return true;
    },
    value: (s) => s.on,
    deadline: () => Infinity,
    expire: () => false,
    cause: (_s, _d, r) => (r ? [r] : []),
    save: (s) => (s.on ? 1 : 0),
    load: (j) => ({ on: j === 1 }),
  };
}
