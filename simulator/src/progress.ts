/** A one-line progress bar for terminals (stderr), redrawn at most every 100 ms. */
import type { Progress, ProgressInfo } from "./run/runner";

export class TtyProgress implements Progress {
  private last = 0;
  private drawn = false;
  private readonly t0 = performance.now();

  constructor(
    private readonly out: NodeJS.WriteStream = process.stderr,
    private readonly width = 20,
  ) {}

  update(p: ProgressInfo): void {
    const now = performance.now();
    if (now - this.last < 100) return;
    this.last = now;
    const span = Math.max(1, p.end - p.start);
    const frac = Math.min(1, Math.max(0, (p.t - p.start) / span));
    const full = Math.round(frac * this.width);
    const rate = p.readings / Math.max(0.001, (now - this.t0) / 1000);
    const line =
      `[${"#".repeat(full)}${".".repeat(this.width - full)}] ${(frac * 100).toFixed(0).padStart(3)}% ` +
      `${new Date(p.t).toISOString().slice(0, 16)}Z ${fmt(p.readings)} readings, ${fmt(p.acked)} acked, ${fmt(rate)}/s`;
    this.out.write(`\r${line.slice(0, (this.out.columns ?? 120) - 1)}\x1b[K`);
    this.drawn = true;
  }

  done(): void {
    if (this.drawn) this.out.write("\r\x1b[K");
    this.drawn = false;
  }
}

export function fmt(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}
