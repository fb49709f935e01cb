/**
 * An append-only file with group commit: records appended during one event-loop turn, and
 * all those appended while a write is in flight, go out in one writev followed by one
 * fdatasync. A caller that needs durability awaits its append; the promise settles once the
 * batch holding its record is on disk. At most one write+sync is in flight per file.
 */
import { open, type FileHandle } from "node:fs/promises";

interface Waiter {
  resolve(): void;
  reject(err: Error): void;
}

export interface AppendLogOptions {
  /** fdatasync after every batch (default true). Off, a batch reaches the OS page cache only. */
  fsync?: boolean;
  /** Called once if a write or sync fails; the log refuses every later append. */
  onError?: (err: Error) => void;
  /** Writes start only after this settles (the previous log of a rotation is flushed first). */
  after?: Promise<unknown>;
}

export class AppendLog {
  /** Bytes in the file, including appends not yet written. */
  bytes: number;
  private handle?: FileHandle;
  private batch: Buffer[] = [];
  private waiters: Waiter[] = [];
  private draining?: Promise<void>;
  private scheduled = false;
  private failed?: Error;
  private closed = false;

  private constructor(
    readonly path: string,
    handle: FileHandle,
    size: number,
    private readonly opts: AppendLogOptions,
  ) {
    this.handle = handle;
    this.bytes = size;
  }

  /** Opens (creating) `path` for appending, cut to `validBytes` when given (a torn tail dropped). */
  static async open(path: string, opts: AppendLogOptions = {}, validBytes?: number): Promise<AppendLog> {
    const handle = await open(path, "a");
    try {
      if (validBytes !== undefined) await handle.truncate(validBytes);
      const { size } = await handle.stat();
      return new AppendLog(path, handle, size, opts);
    } catch (e) {
      await handle.close();
      throw e;
    }
  }

  /** Queues a record; with `durable`, resolves once it is written and synced. */
  append(record: Buffer, durable: true): Promise<void>;
  append(record: Buffer, durable: false): undefined;
  append(record: Buffer, durable: boolean): Promise<void> | undefined {
    if (this.failed) return durable ? Promise.reject(this.failed) : undefined;
    if (this.closed) return durable ? Promise.reject(new Error("log closed")) : undefined;
    this.batch.push(record);
    this.bytes += record.length;
    this.schedule();
    if (!durable) return undefined;
    return new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** Resolves once everything appended so far is written (and synced). */
  async flush(): Promise<void> {
    for (;;) {
      if (this.draining) await this.draining;
      else if (this.batch.length) this.startDrain();
      else break;
    }
    if (this.failed) throw this.failed;
  }

  /** Flushes and closes the file; later appends are refused. */
  async close(): Promise<void> {
    if (this.closed) return;
    try {
      await this.flush();
    } finally {
      this.closed = true;
      const h = this.handle;
      this.handle = undefined;
      await h?.close();
    }
  }

  private schedule(): void {
    if (this.scheduled || this.draining) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (!this.draining) this.startDrain();
    });
  }

  private startDrain(): void {
    this.draining = this.drain().finally(() => {
      this.draining = undefined;
    });
  }

  private async drain(): Promise<void> {
    if (this.opts.after) await this.opts.after.catch(() => undefined);
    while (this.batch.length && !this.failed) {
      const bufs = this.batch;
      const waiters = this.waiters;
      this.batch = [];
      this.waiters = [];
      try {
        const total = bufs.reduce((n, b) => n + b.length, 0);
        const { bytesWritten } = await this.handle!.writev(bufs);
        if (bytesWritten !== total) throw new Error(`short write to ${this.path}: ${bytesWritten} of ${total} bytes`);
        if (this.opts.fsync !== false) await this.handle!.datasync();
        for (const w of waiters) w.resolve();
      } catch (e) {
        this.failed = e as Error;
        for (const w of [...waiters, ...this.waiters]) w.reject(this.failed);
        this.batch = [];
        this.waiters = [];
        this.opts.onError?.(this.failed);
      }
    }
  }
}
