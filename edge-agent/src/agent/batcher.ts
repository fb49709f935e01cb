/**
 * Groups readings into telemetry messages: a batch is closed when it holds `maxBatch`
 * readings or its first reading has waited `lingerMs`, whichever comes first. `lingerMs`
 * is the window a kill -9 can lose (readings not yet in the outbox); 0 closes a batch at the
 * end of every input callback. `whenFlushed` runs a callback once everything added so far has
 * been handed to `flush` (the serial input acks MCU frames from there).
 *
 * `group(fn, meta)` adds the readings of one input callback as a unit: none of them is
 * flushed before the last is added, and `meta` (what the input needs to know was stored,
 * e.g. its frame seqs) is flushed with them. A group bigger than `maxBatch` becomes several
 * batches, handed to `flush` in one call so they are appended in one write.
 */
import type { Reading } from "@fieldline/firmware-contracts";

export interface BatcherOptions<M> {
  maxBatch: number;
  lingerMs: number;
  /** Batches of at most `maxBatch` readings, in order, and the metas of the groups they close. */
  flush(batches: Reading[][], metas: M[]): void;
}

/** `M`: the meta a group carries. */
export class Batcher<M = never> {
  private buf: Reading[] = [];
  private metas: M[] = [];
  private grouping = false;
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private waiters: (() => void)[] = [];

  constructor(private readonly opts: BatcherOptions<M>) {}

  add(r: Reading): void {
    this.buf.push(r);
    if (this.grouping) {
      if (this.buf.length === 1) this.arm();
      return;
    }
    if (this.buf.length >= this.opts.maxBatch) {
      this.flush();
      return;
    }
    if (this.buf.length === 1) this.arm();
  }

  /**
   * Runs `fn`, whose `add`s form one group, then keeps `meta` with the batch that holds the
   * group's last reading. Returns false (meta dropped) when nothing is pending to carry it.
   */
  group(fn: () => void, meta?: M): boolean {
    this.grouping = true;
    try {
      fn();
    } finally {
      this.grouping = false;
    }
    const kept = meta !== undefined && this.buf.length > 0;
    if (kept) this.metas.push(meta);
    if (this.buf.length >= this.opts.maxBatch) this.flush();
    return kept;
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
    const all = this.buf;
    const metas = this.metas;
    const waiters = this.waiters;
    this.buf = [];
    this.metas = [];
    this.waiters = [];
    const max = this.opts.maxBatch;
    const batches = all.length <= max ? [all] : Array.from({ length: Math.ceil(all.length / max) }, (_, i) => all.slice(i * max, (i + 1) * max));
    this.opts.flush(batches, metas);
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
