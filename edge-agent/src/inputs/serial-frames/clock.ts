/**
 * Event time of MCU readings in "mcu" mode: the MCU stamps samples in ms since its boot;
 * the host anchors that to its own clock. The anchor is `arrival - mcuT` of the first frame
 * carrying times, then tightened to the smallest such offset seen (the frame that spent the
 * least time in transit), so readings are never stamped after they arrived. It is dropped and
 * taken afresh after a hello (MCU reboot) and when MCU time runs backwards... except that now the anchor is kept across a port reopen and an agent restart
 * (saved with the stored seqs: the same MCU boot keeps the same clock), and readings that lag
 * arrival by more than `maxLagMs` move it only when the lag lasts `maxLagMs` (MCU clock slower
 * than the host's, or a host clock step): a frame the MCU re-sends after an outage lags by
 * its age, and must keep the time it was sampled at, not be re-anchored to its arrival.
 */
export class McuClock {
  private offset: number | undefined;
  /** Since when every frame lagged by more than maxLagMs, and the smallest such offset. */
  private lagSince: number | undefined;
  private lagMin = Infinity;

  constructor(private readonly maxLagMs = 2000) {}

  reset(): void {
    this.offset = undefined;
    this.lagSince = undefined;
  }

  /** The anchor (host ms minus MCU ms), to save with the MCU boot it belongs to. */
  get anchor(): number | undefined {
    return this.offset;
  }

  /** Takes a saved anchor of the same MCU boot (after a restart or a port reopen). */
  restore(anchor: number): void {
    if (Number.isFinite(anchor)) this.offset = anchor;
  }

  /** Host epoch ms for MCU time `mcuT`, given the frame arrived at host time `arrival`. */
  toHost(mcuT: number, arrival: number, newestInFrame: number): number {
    const candidate = arrival - newestInFrame;
    if (this.offset === undefined || (candidate < this.offset && this.offset - candidate <= this.maxLagMs)) {
      this.offset = candidate;
      this.lagSince = undefined;
    } else if (candidate < this.offset) {
      // A frame far ahead of the anchor (a bogus MCU time, or an MCU clock that jumped):
      // one such frame does not move the anchor; it keeps its converted time and the agent's
      // time check judges it. The frames after it show whether the clock really moved.
      this.lagSince = undefined;
    } else if (candidate - this.offset > this.maxLagMs) {
      if (this.lagSince === undefined) {
        this.lagSince = arrival;
        this.lagMin = candidate;
      } else {
        if (candidate < this.lagMin) this.lagMin = candidate;
        if (arrival - this.lagSince >= this.maxLagMs) {
          this.offset = this.lagMin;
          this.lagSince = undefined;
        }
      }
    } else this.lagSince = undefined;
    return Math.round(mcuT + this.offset);
  }
}
