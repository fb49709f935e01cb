/**
 * Event time of MCU readings in "mcu" mode: the MCU stamps samples in ms since its boot;
 * the host anchors that to its own clock. The anchor is `arrival - mcuT` of the first frame
 * carrying times, then tightened to the smallest such offset seen (the frame that spent the
 * least time in transit), so readings are never stamped after they arrived. It is dropped and
 * taken afresh after a hello (MCU reboot), when MCU time runs backwards, after the port is
 * reopened, and when readings would lag arrival by more than `maxLagMs` (MCU clock slower
 * than the host's, or a stale anchor).
 */
export class McuClock {
  private offset: number | undefined;

  constructor(private readonly maxLagMs = 2000) {}

  reset(): void {
    this.offset = undefined;
  }

  /** Host epoch ms for MCU time `mcuT`, given the frame arrived at host time `arrival`. */
  toHost(mcuT: number, arrival: number, newestInFrame: number): number {
    const candidate = arrival - newestInFrame;
    if (
      this.offset === undefined ||
      candidate < this.offset ||
      candidate - this.offset > this.maxLagMs
    ) {
      this.offset = candidate;
    }
    return Math.round(mcuT + this.offset);
  }
}
