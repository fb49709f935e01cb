import type { Condition, Reading } from "../types.ts";
import { UntimedLeaf } from "./leaf.ts";

interface State {
  has: boolean;
  last: number;
}

/**
 * Report by exception: `push` returns true for the first reading and for each reading
 * that differs from the last reported value by more than `band`.
 */
export class DeadbandEngine extends UntimedLeaf<State> {
  readonly sensor: string;
  private readonly band: number;

  constructor(c: Extract<Condition, { kind: "deadband" }>) {
    super();
    this.sensor = c.sensor;
    this.band = c.band;
  }

  init(): State {
    return { has: false, last: 0 };
  }

  push(s: State, r: Reading): boolean {
    if (s.has && Math.abs(r.value - s.last) <= this.band) return false;
    s.has = true;
    s.last = r.value;
    return true;
  }

  value(s: State): boolean {
    return s.has;
  }

  save(s: State): unknown {
    return s.has ? [s.last] : [];
  }

  load(j: unknown): State {
    const a = j as number[];
    return a.length > 0 ? { has: true, last: a[0]! } : { has: false, last: 0 };
  }
}
