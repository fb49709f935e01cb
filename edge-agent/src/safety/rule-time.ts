/**
 * Rule time: the time the rules run in. Readings are stamped with the wall clock (or the
 * MCU's clock anchored to it), and the evaluator ignores a reading older than the last one
 * of its sensor, so a wall clock set back by an hour (NTP after a boot without an RTC, an
 * operator, a bad RTC) would make local safety ignore every reading for that hour.
 *
 * `RuleTime` watches the wall clock against the monotonic clock: when their difference moves
 * by more than `stepMs` between two checks, the wall clock stepped, and `offset` moves by the
 * opposite amount, so rule time (reading time + offset) carries on without a jump in either
 * direction: pending for-durations, hysteresis, rate windows and stale timers keep their
 * meaning, nothing becomes late, nothing becomes due early. Slow slewing (NTP adjtime) is
 * followed without an offset. Transition times are given back in wall-clock time.
 *
 * Each agent start is a new rule-time epoch: rule state is not kept across restarts (latches
 * are, see Actuators), so a clock set back across a reboot cannot make readings late either.
 */
export interface RuleTimeOptions {
  wall: () => number;
  monotonic: () => number;
  /** A change of (wall - monotonic) larger than this between two checks is a step. */
  stepMs?: number;
  onStep?: (stepMs: number, offset: number) => void;
}

export class RuleTime {
  /** Added to reading times to get rule time. */
  offset = 0;
  /** Wall-clock steps absorbed since start. */
  steps = 0;
  private base: number;
  private readonly stepMs: number;

  constructor(private readonly opts: RuleTimeOptions) {
    this.base = opts.wall() - opts.monotonic();
    this.stepMs = opts.stepMs ?? 2000;
  }

  /** Checks for a step (cheap: two clock reads); returns true when the offset changed. */
  check(): boolean {
    const d = this.opts.wall() - this.opts.monotonic();
    const step = d - this.base;
    this.base = d;
    if (step <= this.stepMs && step >= -this.stepMs) return false;
    this.offset -= step;
    this.steps++;
    this.opts.onStep?.(step, this.offset);
    return true;
  }
}
