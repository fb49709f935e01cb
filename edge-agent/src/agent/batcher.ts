/**
 * Groups readings into telemetry messages: a batch is closed when it holds `maxBatch`
 * readings or its first reading has waited `lingerMs`, whichever comes first. `lingerMs`
 * is the window a kill -9 can lose (readings not yet in the outbox); 0 closes a batch at the
 * end of every input callback. `whenFlushed` runs a callback once everything added so far has
 * been handed to `flush` (the serial input acks MCU frames from there).
 */
import type { Reading } from "@fieldline/firmware-contracts";

export interface BatcherOptions {
  maxBatch: number;
  lingerMs: number;
  flush(readings: Reading[]): void;
}

export class Batcher {
  private buf: Reading[] = [];
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private waiters: (() => void)[] = [];

  constructor(private readonly opts: BatcherOptions) {}

  add(r: Reading): void {
    this.buf.push(r);
    if (this.buf.length >= this.opts.maxBatch) {
      this.flush();
      return;
    }
    if (this.buf.length === 1) this.arm();
  }

  /** Calls `done` after the batch holding the readings added so far is flushed (now, if none is open). */
  whenFlushed(done: () => void): void {
    if (this.buf.length === 0) done();
    else this.waiters.push(done);
  }

  get pending(): number {
    return this.buf.length;
  }

  /** Closes the current batch now (shutdown, or the batch is full). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
    if (this.buf.length === 0) return;
    const batch = this.buf;
    const waiters = this.waiters;
    this.buf = [];
    this.waiters = [];
    this.opts.flush(batch);
    for (const done of waiters) done();
  }

  stop(): void {
    this.flush();
  }

  private arm(): void {
    if (this.opts.lingerMs === 0) this.immediate = setImmediate(() => this.flush());
    else this.timer = setTimeout(() => this.flush(), this.opts.lingerMs);
  }
}
