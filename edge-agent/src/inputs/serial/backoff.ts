/** Exponential backoff with jitter for reopening a port: initial, 2x, 4x ... up to max. */
export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
}

export class Backoff {
  private attempt = 0;

  constructor(
    private readonly opts: BackoffOptions,
    private readonly random: () => number = Math.random,
  ) {}

  /** Delay before the next attempt: the nominal step, less up to 25% jitter so ports don't retry in lockstep. */
  next(): number {
    const nominal = Math.min(
      this.opts.maxMs,
      this.opts.initialMs * 2 ** Math.min(this.attempt, 30),
    );
    this.attempt++;
    return Math.max(1, Math.round(nominal * (1 - 0.25 * this.random())));
  }

  /** After a successful open. */
  reset(): void {
    this.attempt = 0;
  }

  get attempts(): number {
    return this.attempt;
  }
}
