/**
 * Exponential backoff with full jitter: the n-th delay is uniform in [0, min(max, initial*2^n)],
 * never below `initial / 2`, so a fleet that lost its broker at once does not return at once.
 */
export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  random?: () => number;
}

export class Backoff {
  private attempt = 0;
  constructor(private readonly opts: BackoffOptions) {}

  next(): number {
    const { initialMs, maxMs } = this.opts;
    const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    const r = (this.opts.random ?? Math.random)();
    return Math.max(Math.min(initialMs / 2, ceiling), Math.round(r * ceiling));
  }

  reset(): void {
    this.attempt = 0;
  }
}
