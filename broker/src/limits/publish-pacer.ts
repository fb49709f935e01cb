/**
 * Per-client publish rate as a token bucket. Over the rate, a publish is not dropped but
 * delayed: Aedes reads the next chunk from a client only after every packet of the current
 * one is handled, so delaying the authorization callback pushes back on the client over TCP
 * (and a QoS 1 publisher's inflight window fills). Past maxDelayMs the client is cut off.
 */
export interface PacerConfig {
  perSecond: number;
  burst: number;
  maxDelayMs: number;
}

export class PublishPacer {
  private tokens: number;
  private last: number;

  constructor(
    private readonly cfg: PacerConfig,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = cfg.burst;
    this.last = now();
  }

  /** Milliseconds to wait before this publish may proceed (0: now; Infinity: too far over). */
  take(): number {
    const now = this.now();
    this.tokens = Math.min(this.cfg.burst, this.tokens + ((now - this.last) * this.cfg.perSecond) / 1000);
    this.last = now;
    this.tokens -= 1;
    if (this.tokens >= 0) return 0;
    const wait = (-this.tokens * 1000) / this.cfg.perSecond;
    if (wait > this.cfg.maxDelayMs) {
      this.tokens += 1;
      return Infinity;
    }
    return wait;
  }
}
