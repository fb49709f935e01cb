/**
 * Spatial novelty (the "spatial anomaly" of Numenta's NAB detector): a value, or a moving
 * average of `step` values, beyond the [min, max] seen so far by more than `tolerance`
 * times that range.
 */
import { Ring, type RingState } from "./ring.ts";

export interface SpatialState {
  recent: RingState;
  /** null while nothing has been seen (JSON has no Infinity). */
  lo: number | null;
  hi: number | null;
}

export class Spatial {
  private readonly recent: Ring;
  private lo = Infinity;
  private hi = -Infinity;

  constructor(
    readonly step: number,
    readonly tolerance: number,
    s?: SpatialState,
  ) {
    this.recent = s ? Ring.restore(s.recent) : new Ring(step);
    if (s) {
      this.lo = s.lo ?? Infinity;
      this.hi = s.hi ?? -Infinity;
    }
  }

  /** 1 when the (averaged) value leaves the range seen so far by the tolerance, else 0. */
  update(x: number): number {
    const r = this.recent;
    r.push(x);
    if (r.size < r.cap) return 0;
    const v = r.sum() / r.size;
    let out = 0;
    if (this.hi > this.lo) {
      const margin = this.tolerance * (this.hi - this.lo);
      if (v > this.hi + margin || v < this.lo - margin) out = 1;
    }
    if (v > this.hi) this.hi = v;
    if (v < this.lo) this.lo = v;
    return out;
  }

  snapshot(): SpatialState {
    return { recent: this.recent.snapshot(), lo: Number.isFinite(this.lo) ? this.lo : null, hi: Number.isFinite(this.hi) ? this.hi : null };
  }
}
