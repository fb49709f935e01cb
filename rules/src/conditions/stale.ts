import type { Condition, Reading } from "../types.ts";
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
export class StaleEngine implements LeafEngine<State> {
  readonly sensor: string | undefined;
  readonly timed = true;
  private readonly afterMs: number;

  constructor(c: Extract<Condition, { kind: "stale" }>) {
    this.sensor = c.sensor;
    this.afterMs = c.afterMs;
  }

  init(start: number): State {
    return { on: false, last: start, heard: false, sensor: this.sensor ?? "", value: 0 };
  }

  push(s: State, r: Reading): boolean {
    s.last = r.t;
    s.heard = true;
    s.sensor = r.sensor;
    s.value = r.value;
    if (!s.on) return false;
    s.on = false;
    return true;
  }

  value(s: State): boolean {
    return s.on;
  }

  deadline(s: State): number {
    return s.on ? Infinity : s.last + this.afterMs;
  }

  expire(s: State): boolean {
    if (s.on) return false;
    s.on = true;
    return true;
  }

  /** The silence already counted carries over into the new epoch. */
  rebase(s: State, shift: number): void {
    s.last += shift;
  }

  cause(s: State, device: string, r: Reading | undefined): Reading[] {
    if (r) return [r];
    return s.heard ? [{ device, sensor: s.sensor, t: s.last, value: s.value }] : [];
  }

  save(s: State): unknown {
    return s.heard ? [s.on ? 1 : 0, s.last, s.sensor, s.value] : [s.on ? 1 : 0, s.last];
  }

  load(j: unknown): State {
    const a = j as [number, number, string?, number?];
    return {
      on: a[0] === 1,
      last: a[1],
      heard: a.length > 2,
      sensor: a[2] ?? this.sensor ?? "",
      value: a[3] ?? 0,
    };
  }
}
