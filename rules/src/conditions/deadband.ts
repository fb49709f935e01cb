import type { Condition } from "../types.ts";
import type { LeafEngine } from "./leaf.ts";

interface State {
  has: boolean;
  last: number;
}

/**
 * Report by exception: `push` returns true for the first reading and for each reading
 * that differs from the last reported value by more than `band`.
 */
export function deadbandEngine(c: Extract<Condition, { kind: "deadband" }>): LeafEngine<State> {
  const { band } = c;
  return {
    sensor: c.sensor,
    timed: false,
    init: () => ({ has: false, last: 0 }),
    push(s, r) {
      if (s.has && Math.abs(r.value - s.last) <= band) return false;
      s.has = true;
      s.last = r.value;
      return true;
    },
    value: (s) => s.has,
    deadline: () => Infinity,
    expire: () => false,
    cause: (_s, _d, r) => (r ? [r] : []),
    save: (s) => (s.has ? [s.last] : []),
    load: (j) => {
      const a = j as number[];
      return a.length > 0 ? { has: true, last: a[0]! } : { has: false, last: 0 };
    },
  };
}
