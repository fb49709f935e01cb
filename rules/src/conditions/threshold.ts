import type { Condition, Reading } from "../types.ts";
import { Compare } from "./comparator.ts";
import { UntimedLeaf } from "./leaf.ts";

interface State {
  on: boolean;
}

/** The value of one sensor against a comparison (with hysteresis). */
export class ThresholdEngine extends UntimedLeaf<State> {
  readonly sensor: string;
  private readonly cmp: Compare;

  constructor(c: Extract<Condition, { kind: "threshold" }>) {
    super();
    this.sensor = c.sensor;
    this.cmp = new Compare(c.cmp);
  }

  init(): State {
    return { on: false };
  }

  push(s: State, r: Reading): boolean {
    const on = this.cmp.test(s.on, r.value);
    if (on === s.on) return false;
    s.on = on;
    return true;
  }

  value(s: State): boolean {
    return s.on;
  }

  save(s: State): unknown {
    return s.on ? 1 : 0;
  }

  load(j: unknown): State {
    return { on: j === 1 };
  }
}
