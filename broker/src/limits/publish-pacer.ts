/**
 * Per-client publish rate as a token bucket. Over the rate, a publish is not dropped but
 * delayed: Aedes reads the next chunk from a client only after every packet of the current
 * one is handled, so delaying the authorization callback pushes back on the client over TCP
 * (and a QoS 1 publisher's inflight window fills). Past maxDelayMs the client is cut off.
 *
 * `pace` keeps a client's publishes in order: one paced publish releases the ones behind it.
 * (With a timer per publish they could overtake each other: Aedes reads a client's next chunk
 * before every packet of the last one is through, so a publish of the new chunk could find a
 * token while an older one still waited on its timer; seen as swapped sequence numbers at a
 * subscriber.)
 */
export interface PacerConfig {
  perSecond: number;
  burst: number;
  maxDelayMs: number;
}

export class PublishPacer {
  private tokens: number;
  private last: number;
  private queue: { due: number; go: () => void }[] = [];
  private timer?: NodeJS.Timeout;

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

  /**
   * Runs `go` now if the rate allows and nothing is waiting, else once its turn has come,
   * after every publish paced before it. "refused": too far over the rate (`go` never runs).
   */
  pace(go: () => void): "now" | "later" | "refused" {
    const wait = this.take();
    if (wait === Infinity) return "refused";
    if (wait === 0 && this.queue.length === 0) {
      go();
      return "now";
    }
    this.queue.push({ due: this.now() + wait, go });
    this.arm();
    return "later";
  }

  private arm(): void {
    const head = this.queue[0];
    if (this.timer || !head) return;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        const now = this.now();
        while (this.queue.length && this.queue[0]!.due <= now) this.queue.shift()!.go();
        this.arm();
      },
      Math.max(0, head.due - this.now()),
    );
  }
}
