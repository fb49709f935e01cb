import type { Condition } from "../types.ts";
import type { LeafEngine } from "./leaf.ts";

interface State {
  on: boolean;
  /** Time of the last reading, or when watching began if none yet. */
  last: number;
  heard: boolean;
  sensor: string;
  value: number;
}

/**
 * True once no reading (of `sensor`, or of any sensor when none is named) arrived for
 * `after`. A device never heard from counts from when the evaluator began watching it.
 */
export function staleEngine(c: Extract<Condition, { kind: "stale" }>): LeafEngine<State> {
  const { afterMs } = c;
  return {
    sensor: c.sensor,
    timed: true,
    init: (start) => ({ on: false, last: start, heard: false, sensor: c.sensor ?? "", value: 0 }),
    push(s, r) {
      s.last = r.t;
      s.heard = true;
      s.sensor = r.sensor;
      s.value = r.value;
      if (!s.on) return false;
      s.on = false;
      return true;
    },
    value: (s) => s.on,
    deadline: (s) => (s.on ? Infinity : s.last + afterMs),
    expire(s) {
      if (s.on) return false;
      s.on = true;
      return true;
    },
    cause(s, device, r) {
      if (r) return [r];
      return s.heard ? [{ device, sensor: s.sensor, t: s.last, value: s.value }] : [];
    },
    save: (s) => (s.heard ? [s.on ? 1 : 0, s.last, s.sensor, s.value] : [s.on ? 1 : 0, s.last]),
    load(j) {
      const a = j as [number, number, string?, number?];
      return {
        on: a[0] === 1,
        last: a[1],
        heard: a.length > 2,
        sensor: a[2] ?? c.sensor ?? "",
        value: a[3] ?? 0,
      };
    },
  };
}
