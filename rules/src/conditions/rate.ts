import type { Condition, Reading } from "../types.ts";
import { Compare } from "./comparator.ts";
import { UntimedLeaf } from "./leaf.ts";

/**
 * Readings inside the window, oldest first, as parallel arrays with a moving head
 * (amortised O(1) push and expiry; compacted when half is dead, so memory stays within
 * twice the readings of one window).
 */
interface State {
  on: boolean;
  ts: number[];
  vs: number[];
  head: number;
}

/**
 * Rate of change over a window: (newest - oldest) / (t_newest - t_oldest) over the readings
 * whose time is within `window` of the newest one, scaled to `per`. Fewer than two readings
 * in the window means no rate, and the leaf is false.
 */
export class RateEngine extends UntimedLeaf<State> {
  readonly sensor: string;
  private readonly cmp: Compare;
  private readonly windowMs: number;
  private readonly perMs: number;

  constructor(c: Extract<Condition, { kind: "rate" }>) {
    super();
    this.sensor = c.sensor;
    this.cmp = new Compare(c.cmp);
    this.windowMs = c.windowMs;
    this.perMs = c.perMs;
  }

  init(): State {
    return { on: false, ts: [], vs: [], head: 0 };
  }

  push(s: State, r: Reading): boolean {
    s.ts.push(r.t);
    s.vs.push(r.value);
    const from = r.t - this.windowMs;
    let h = s.head;
    while (s.ts[h]! < from) h++;
    if (h > 0 && h * 2 >= s.ts.length) {
      // At least half is dead: drop it (copies at most as many as were dropped).
      s.ts.splice(0, h);
      s.vs.splice(0, h);
      h = 0;
    }
    s.head = h;
    let on = false;
    const dt = r.t - s.ts[h]!;
    if (dt > 0) on = this.cmp.test(s.on, ((r.value - s.vs[h]!) / dt) * this.perMs);
    if (on === s.on) return false;
    s.on = on;
    return true;
  }

  value(s: State): boolean {
    return s.on;
  }

  override cause(s: State, device: string, r: Reading | undefined): Reading[] {
    if (!r) return [];
    if (s.ts.length - s.head < 2) return [r];
    return [{ device, sensor: this.sensor, t: s.ts[s.head]!, value: s.vs[s.head]! }, r];
  }

  /** Readings of the old epoch are in another time base: the window starts empty (as after
   *  a gap), so a rate needs two readings of the new epoch. */
  override rebase(s: State): void {
    s.ts.length = 0;
    s.vs.length = 0;
    s.head = 0;
  }

  save(s: State): unknown {
    return { on: s.on, ts: s.ts.slice(s.head), vs: s.vs.slice(s.head) };
  }

  load(j: unknown): State {
    const o = j as { on: boolean; ts: number[]; vs: number[] };
    return { on: o.on, ts: [...o.ts], vs: [...o.vs], head: 0 };
  }
}
