import type { Reading } from "../types.ts";

/**
 * One leaf condition kind at run time. The engine holds the leaf's configuration; the
 * per-(rule, device) state `S` is a small object the evaluator stores and snapshots.
 * Every method is O(1) (rate is amortised O(1) over its window).
 */
export interface LeafEngine<S = unknown> {
  /** The sensor this leaf listens to; undefined means every sensor of the device. */
  readonly sensor: string | undefined;
  /** True when the leaf can change with time alone (it has deadlines). */
  readonly timed: boolean;
  /** Fresh state; `start` is when the evaluator began watching this device. */
  init(start: number): S;
  /** Applies an accepted reading; returns true when the leaf's truth value changed. */
  push(s: S, r: Reading): boolean;
  value(s: S): boolean;
  /** Event time at which the leaf will change by itself; Infinity when none. */
  deadline(s: S): number;
  /** Time has reached deadline(s); returns true when the truth value changed. */
  expire(s: S): boolean;
  /** The readings that explain the current value (`r` is the reading just applied, if any). */
  cause(s: S, device: string, r: Reading | undefined): Reading[];
  /** The device's clock went back by -`shift` ms at a reboot: move the times this state
   *  keeps into the new epoch, or drop what cannot be moved. */
  rebase(s: S, shift: number): void;
  save(s: S): unknown;
  load(j: unknown): S;
}

/**
 * The part every leaf that changes only on readings shares: no deadlines, nothing expires,
 * and the reading just applied explains the value.
 */
export abstract class UntimedLeaf<S> implements LeafEngine<S> {
  abstract readonly sensor: string | undefined;
  readonly timed = false;
  abstract init(start: number): S;
  abstract push(s: S, r: Reading): boolean;
  abstract value(s: S): boolean;
  abstract save(s: S): unknown;
  abstract load(j: unknown): S;

  deadline(): number {
    return Infinity;
  }

  expire(): boolean {
    return false;
  }

  cause(_s: S, _device: string, r: Reading | undefined): Reading[] {
    return r ? [r] : [];
  }

  /** Nothing time-based is kept (a rate overrides this). */
  rebase(_s: S, _shift: number): void {}
}
