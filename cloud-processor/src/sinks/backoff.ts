/** Exponential backoff with full jitter: delay n is random in [initial, min(max, initial * 2^n)]. */
export class Backoff {
  private attempt = 0;
  constructor(
    private readonly initialMs: number,
    private readonly maxMs: number,
    private readonly random: () => number = Math.random,
  ) {}

  next(): number {
    const cap = Math.min(this.maxMs, this.initialMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    return Math.round(this.initialMs + (cap - this.initialMs) * this.random());
  }

  reset(): void {
    this.attempt = 0;
  }
}
