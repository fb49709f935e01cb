/**
 * Where latches are kept across restarts: `<dataDir>/latches.json` (tmp + fsync + rename).
 * A write that fails (disk full, read-only, I/O error) never reaches the caller: the latch
 * holds in memory (the line stays where the shutoff drove it) and the newest latch set is
 * written again with backoff until it succeeds, reported through `onError` / `onSaved`.
 */
import { readJson, writeJsonAtomic } from "../agent/state-file";
import { Backoff, type BackoffOptions } from "../uplink/backoff";
import type { LatchRecord } from "./actuators";

export interface LatchStoreOptions {
  file: string;
  retry?: BackoffOptions;
  onError?: (err: Error) => void;
  /** A write succeeded after failures. */
  onSaved?: () => void;
}

export class LatchStore {
  private pending: LatchRecord[] | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly backoff: Backoff;
  /** The last write error while a write is pending. */
  error: string | undefined;

  constructor(private readonly opts: LatchStoreOptions) {
    this.backoff = new Backoff(opts.retry ?? { initialMs: 500, maxMs: 30_000 });
  }

  load(): LatchRecord[] {
    return readJson<LatchRecord[]>(this.opts.file) ?? [];
  }

  /** True while the latches on disk are not the latest ones. */
  get unsaved(): boolean {
    return this.pending !== undefined;
  }

  save(latches: LatchRecord[]): void {
    this.pending = latches;
    if (this.timer) return; // a retry is scheduled; it writes the newest set
    this.write();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private write(): void {
    const latches = this.pending;
    if (!latches) return;
    try {
      writeJsonAtomic(this.opts.file, latches);
    } catch (err) {
      this.error = (err as Error).message;
      this.opts.onError?.(err as Error);
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.write();
      }, this.backoff.next());
      this.timer.unref();
      return;
    }
    const failedBefore = this.error !== undefined;
    this.pending = undefined;
    this.error = undefined;
    this.backoff.reset();
    if (failedBefore) this.opts.onSaved?.();
  }
}
