import type { Condition } from "../types.ts";
import { makeComparator } from "./comparator.ts";
import type { LeafEngine } from "./leaf.ts";

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
export function rateEngine(c: Extract<Condition, { kind: "rate" }>): LeafEngine<State> {
  const test = makeComparator(c.cmp);
  const { windowMs, perMs } = c;
  return {
    sensor: c.sensor,
    timed: false,
    init: () => ({ on: false, ts: [], vs: [], head: 0 }),
    push(s, r) {
      s.ts.push(r.t);
      s.vs.push(r.value);
      const from = r.t - windowMs;
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
      if (dt > 0) on = test(s.on, ((r.value - s.vs[h]!) / dt) * perMs);
      if (on === s.on) return false;
      s.on = on;
      return true;
    },
    value: (s) => s.on,
    deadline: () => Infinity,
    expire: () => false,
    cause(s, device, r) {
      if (!r) return [];
      if (s.ts.length - s.head < 2) return [r];
      return [{ device, sensor: c.sensor, t: s.ts[s.head]!, value: s.vs[s.head]! }, r];
    },
    save: (s) => ({ on: s.on, ts: s.ts.slice(s.head), vs: s.vs.slice(s.head) }),
    load(j) {
      const o = j as { on: boolean; ts: number[]; vs: number[] };
      return { on: o.on, ts: [...o.ts], vs: [...o.vs], head: 0 };
    },
  };
}

/** Exposed for tests: the rate the leaf would compare, or undefined. */
export function currentRate(s: unknown, perMs: number): number | undefined {
  const st = s as State;
  const n = st.ts.length;
  if (n - st.head < 2) return undefined;
  const dt = st.ts[n - 1]! - st.ts[st.head]!;
  return dt > 0 ? ((st.vs[n - 1]! - st.vs[st.head]!) / dt) * perMs : undefined;
}
