import type { Comparator } from "../types.ts";

/**
 * Returns the next truth value of a comparison with hysteresis: while off, the raise level
 * decides; while on, the clear level decides. With no hysteresis both levels are equal.
 */
export function makeComparator(c: Comparator): (on: boolean, v: number) => boolean {
  switch (c.op) {
    case "above": {
      const { level, clear } = c;
      return (on, v) => (on ? v > clear : v > level);
    }
    case "below": {
      const { level, clear } = c;
      return (on, v) => (on ? v < clear : v < level);
    }
    case "outside": {
      const [lo, hi] = c.level;
      const [clo, chi] = c.clear;
      return (on, v) => (on ? v < clo || v > chi : v < lo || v > hi);
    }
    case "inside": {
      const [lo, hi] = c.level;
      const [clo, chi] = c.clear;
      return (on, v) => (on ? v >= clo && v <= chi : v >= lo && v <= hi);
    }
  }
}
