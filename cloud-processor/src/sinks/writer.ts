/**
 * SinkWriter: batching, retries with backoff and a bounded buffer in front of any Sink.
 *
 * - `enqueue(points)` resolves when those points are durable; the processor acknowledges the
 *   MQTT message on it. Batches form by themselves: while one write is in flight, the next
 *   entries queue up and go out together (group commit), at most `maxBatchPoints` per write.
 * - A retryable failure (database down) is retried forever with exponential backoff; the
 *   buffer fills to `maxBufferedPoints`, `full` turns true and ingest stops reading from the
 *   broker until `drained` fires. Nothing is dropped.
 * - A non-retryable failure (the database rejects the batch) would fail again: the batch is
 *   appended to the rejected-points file, counted and logged, never dropped silently.
 * - `stop()` waits for the buffer to drain up to a deadline; what is left is rejected, so its
 *   messages stay unacknowledged and the broker redelivers them.
 */
import { EventEmitter } from "node:events";
import type { Logger } from "pino";
import { Backoff } from "./backoff.ts";
import { joinBatches, linesText, SinkError, type LineBatch, type Sink } from "./sink.ts";

/** How InfluxDB (1.x and the v2 API) says that only some lines of a write were refused. */
const PARTIAL = /partial write/i;

export interface SinkWriterOptions {
  maxBatchPoints: number;
  maxBufferedPoints: number;
  retryInitialMs: number;
  retryMaxMs: number;
}

export interface WriterHooks {
  /** Called for each batch the sink refused for good (non-retryable). */
  rejected?(batch: LineBatch, err: SinkError): Promise<void>;
  written?(points: number, ms: number): void;
  failed?(err: SinkError): void;
}

interface Entry {
  batch: LineBatch;
  resolve(): void;
  reject(err: Error): void;
}

export class SinkWriter extends EventEmitter<{ drained: []; healthy: [boolean] }> {
  private queue: Entry[] = [];
  private buffered = 0;
  private running = false;
  private stopping = false;
  private flushing: Promise<void> = Promise.resolve();
  private looping = false;
  private wake: (() => void) | undefined;
  private sleepTimer: NodeJS.Timeout | undefined;
  private readonly backoff: Backoff;
  /** False while the sink is failing. */
  healthy = true;

  constructor(
    readonly sink: Sink,
    private readonly opts: SinkWriterOptions,
    private readonly log: Logger,
    private readonly hooks: WriterHooks = {},
  ) {
    super();
    this.backoff = new Backoff(opts.retryInitialMs, opts.retryMaxMs);
  }

  get bufferedPoints(): number {
    return this.buffered;
  }

  /** True while the buffer is at its bound: the caller should stop feeding. */
  get full(): boolean {
    return this.buffered >= this.opts.maxBufferedPoints;
  }

  async start(): Promise<void> {
    await this.sink.start();
    this.running = true;
    this.stopping = false;
  }

  enqueue(batch: LineBatch): Promise<void> {
    if (!this.running) return Promise.reject(new SinkError("sink writer is stopped", true));
    if (batch.points === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ batch, resolve, reject });
      this.buffered += batch.points;
      this.kick();
    });
  }

  private kick(): void {
    // drain() clears `looping` in the same tick it finds the queue empty, so an entry enqueued
    // by code that runs when the last batch's promises resolve (a microtask later) starts a
    // new drain instead of waiting behind one that is already finishing.
    if (this.looping) return;
    this.looping = true;
    this.flushing = this.drain().catch((err: unknown) => {
      // Only a failing `rejected` hook gets here (e.g. the disk is full).
      this.looping = false;
      this.log.error({ err: (err as Error).message }, "sink writer stopped on an error");
    });
  }

  private takeBatch(): Entry[] {
    const batch: Entry[] = [];
    let n = 0;
    while (this.queue.length > 0) {
      const e = this.queue[0]!;
      if (batch.length > 0 && n + e.batch.points > this.opts.maxBatchPoints) break;
      batch.push(this.queue.shift()!);
      n += e.batch.points;
    }
    return batch;
  }

  /** Writes batches until the queue is empty; clears `looping` in the same tick it finds it so. */
  private async drain(): Promise<void> {
    for (;;) {
      if (!(this.queue.length > 0 && this.running)) {
        this.looping = false;
        return;
      }
      const batch = this.takeBatch();
      const lines = joinBatches(batch.map((e) => e.batch));
      const ok = await this.writeWithRetry(lines);
      this.buffered -= lines.points;
      for (const e of batch) {
        if (ok) e.resolve();
        else e.reject(new SinkError("sink writer stopped before the points were written", true));
      }
      if (!ok) {
        this.looping = false;
        return;
      }
      if (!this.full) this.emit("drained");
    }
  }

  /** Returns true when written (or set aside as rejected), false when stopped while failing. */
  private async writeWithRetry(batch: LineBatch): Promise<boolean> {
    for (;;) {
      const t0 = performance.now();
      try {
        await this.sink.write(batch);
        this.hooks.written?.(batch.points, performance.now() - t0);
        this.backoff.reset();
        this.setHealthy(true);
        return true;
      } catch (e) {
        const err = e instanceof SinkError ? e : new SinkError(String(e), true);
        this.hooks.failed?.(err);
        if (!err.retryable) {
          // Some lines stored, some refused: find out which, so each line is counted as
          // what it is (writes are idempotent, so writing a stored line again is harmless).
          if (batch.points > 1 && PARTIAL.test(err.message)) return this.split(batch);
          this.log.error({ err: err.message, points: batch.points, sink: this.sink.name }, "sink rejected a batch; kept in the rejected-points file");
          await this.hooks.rejected?.(batch, err);
          return true;
        }
        this.setHealthy(false);
        if (this.stopping) return false;
        const delay = this.backoff.next();
        this.log.warn({ err: err.message, retryInMs: delay, buffered: this.buffered, sink: this.sink.name }, "sink write failed; retrying");
        await this.sleep(delay);
      }
    }
  }

  /** Writes the two halves of a partly refused batch on their own (down to single lines). */
  private async split(batch: LineBatch): Promise<boolean> {
    const lines = linesText(batch).split("\n").filter((l) => l.length > 0);
    if (lines.length < 2) {
      await this.hooks.rejected?.(batch, new SinkError("refused", false));
      return true;
    }
    const mid = lines.length >> 1;
    const half = (ls: string[]): LineBatch => ({ lines: ls.join("\n") + "\n", points: ls.length });
    if (!(await this.writeWithRetry(half(lines.slice(0, mid))))) return false;
    return this.writeWithRetry(half(lines.slice(mid)));
  }

  private setHealthy(h: boolean): void {
    if (h !== this.healthy) {
      this.healthy = h;
      this.emit("healthy", h);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      this.wake = resolve;
      this.sleepTimer = setTimeout(resolve, ms);
    }).finally(() => {
      clearTimeout(this.sleepTimer);
      this.wake = undefined;
    });
  }

  /** Drains for up to `graceMs`, then gives up on what is left (left unacknowledged). */
  async stop(graceMs = 5000): Promise<void> {
    if (!this.running) return;
    const deadline = setTimeout(() => {
      this.stopping = true;
      this.wake?.();
    }, graceMs);
    while (this.looping) await this.flushing;
    this.stopping = true;
    clearTimeout(deadline);
    this.running = false;
    for (const e of this.queue.splice(0)) e.reject(new SinkError("sink writer stopped", true));
    this.buffered = 0;
    await this.sink.stop();
  }
}
