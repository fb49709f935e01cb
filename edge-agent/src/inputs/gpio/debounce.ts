/**
 * Debounce of one digital line: a new level counts once it has held for `ms` without
 * bouncing back; the accepted change carries the time of the edge that started it.
 */
export class Debouncer {
  private stable: 0 | 1;
  private candidate: { v: 0 | 1; t: number } | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    initial: 0 | 1,
    private readonly ms: number,
    private readonly accept: (v: 0 | 1, t: number) => void,
  ) {
    this.stable = initial;
  }

  get level(): 0 | 1 {
    return this.stable;
  }

  /** A raw edge from the chip. */
  edge(v: 0 | 1, t: number): void {
    if (v === this.stable) {
      this.cancel(); // bounced back before it held
      return;
    }
    if (this.ms <= 0) return this.commit(v, t);
    if (this.candidate?.v === v) return; // still heading the same way
    this.cancel();
    this.candidate = { v, t };
    this.timer = setTimeout(() => {
      const c = this.candidate;
      this.timer = undefined;
      this.candidate = undefined;
      if (c) this.commit(c.v, c.t);
    }, this.ms);
  }

  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.candidate = undefined;
  }

  private commit(v: 0 | 1, t: number): void {
    this.stable = v;
    this.accept(v, t);
  }
}
