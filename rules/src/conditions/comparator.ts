import type { Comparator } from "../types.ts";

const ABOVE = 0;
const BELOW = 1;
const OUTSIDE = 2;
const INSIDE = 3;
const OPS = { above: ABOVE, below: BELOW, outside: OUTSIDE, inside: INSIDE } as const;

/**
 * A comparison with hysteresis: while off, the raise level decides; while on, the clear
 * level decides. With no hysteresis both levels are equal. (A class with one shared `test`
 * keeps the hot call site monomorphic across rules.)
 */
export class Compare {
  private readonly op: number;
  private readonly lo: number;
  private readonly hi: number;
  private readonly clo: number;
  private readonly chi: number;

  constructor(c: Comparator) {
    this.op = OPS[c.op];
    if (c.op === "above" || c.op === "below") {
      this.lo = this.hi = c.level;
      this.clo = this.chi = c.clear;
    } else {
      [this.lo, this.hi] = c.level;
      [this.clo, this.chi] = c.clear;
    }
  }

  /** The next truth value, given the current one and a value. */
  test(on: boolean, v: number): boolean {
    switch (this.op) {
      case ABOVE:
        return on ? v > this.clo : v > this.lo;
      case BELOW:
        return on ? v < this.clo : v < this.lo;
      case OUTSIDE:
        return on ? v < this.clo || v > this.chi : v < this.lo || v > this.hi;
      default:
        return on ? v >= this.clo && v <= this.chi : v >= this.lo && v <= this.hi;
    }
  }
}
