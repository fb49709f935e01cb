/**
 * Storage faults degrade, never stop: an Outbox in front of the on-disk one that keeps the
 * agent running when the disk cannot be written (ENOSPC, EDQUOT, EROFS, EACCES, EIO, ...),
 * at start or at any time after.
 *
 * While the disk outbox cannot take appends (or could not be opened), new messages go to a
 * queue in memory bounded by `memoryBytes`, under the same full policy as the disk
 * (drop-oldest drops the oldest queued telemetry first, then the oldest of any kind;
 * drop-newest refuses new ones; both counted and reported through `onFull`). They are published after what is on disk, in append order.
 * A retry with backoff reopens the disk outbox if needed and moves the queue onto it in one
 * append; messages already in flight from memory may then be published twice (same bytes,
 * the cloud dedupes them). While only memory holds them, messages do not survive a restart.
 */
import { Backoff, type BackoffOptions } from "../uplink/backoff";
import type { AppendResult, Outbox, OutboxMessage, OutboxRecord, OutboxStats } from "./outbox";
import type { FullPolicy } from "./segment-outbox";

/** Memory ids sort after every disk id (`seg * 2^32 + offset`). */
const MEM_BASE = 2 ** 52;
/** Overhead counted per queued message besides its payload and meta. */
const MEM_OVERHEAD = 64;

export interface StorageFault {
  /** What failed: open, append, read, ack, sync, cursor, fsync, ... */
  op: string;
  code: string;
  message: string;
}

export interface StorageState {
  state: "ok" | "degraded";
  /** The fault that started the degraded period (and the latest one since). */
  fault?: StorageFault & { since: number; last: StorageFault };
  /** Messages waiting in memory (not on disk). */
  memory: { records: number; bytes: number };
  /** Storage errors since start. */
  errors: number;
}

export interface FallbackOutboxOptions {
  /** A new disk outbox (a fresh one for every open attempt). */
  create: () => Outbox;
  memoryBytes: number;
  full: FullPolicy;
  retry?: BackoffOptions;
  clock?: () => number;
  onFull?: (info: { policy: FullPolicy; records: number; bytes: number }) => void;
  /** Every storage error (counted by the caller); `degraded` marks the start of a period. */
  onError?: (fault: StorageFault, degraded: boolean) => void;
  /** The disk took appends again; `lost` = messages dropped or refused while degraded. */
  onRecovered?: (info: { ms: number; moved: number; lost: number }) => void;
}

interface MemRecord {
  id: number;
  msg: OutboxMessage;
  size: number;
  acked: boolean;
}

export class FallbackOutbox implements Outbox {
  private disk: Outbox | undefined;
  private fault: StorageState["fault"];
  /** After a retry found nothing to move: the next append tries the disk quietly. */
  private probing = false;
  private mem: MemRecord[] = [];
  private memBytes = 0;
  private memNext = 0;
  private nextId = MEM_BASE;
  private memDropped = 0;
  private memRefused = 0;
  private lostAtFault = 0;
  private errors = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly backoff: Backoff;
  private readonly clock: () => number;

  constructor(private readonly opts: FallbackOutboxOptions) {
    this.backoff = new Backoff(opts.retry ?? { initialMs: 1000, maxMs: 60_000 });
    this.clock = opts.clock ?? Date.now;
  }

  /** Opens the disk outbox; if that fails, runs from memory and keeps retrying. Never throws. */
  async open(): Promise<void> {
    this.closed = false;
    await this.openDisk();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const d = this.disk;
    if (!d) return;
    try {
      await d.close();
    } catch (err) {
      this.failed("close", err);
    }
  }

  append(msg: OutboxMessage): AppendResult {
    return this.appendAll([msg])[0]!;
  }

  appendAll(msgs: readonly OutboxMessage[]): AppendResult[] {
    if (msgs.length === 0) return [];
    if (this.disk && (!this.fault || (this.probing && this.mem.length === 0))) {
      try {
        const r = this.disk.appendAll(msgs);
        if (this.fault) this.recovered(0);
        return r;
      } catch (err) {
        this.failed("append", err);
      }
    }
    return this.memAppend(msgs);
  }

  recoveredMeta(): readonly Uint8Array[] {
    return this.disk?.recoveredMeta() ?? [];
  }

  read(max: number): OutboxRecord[] {
    let out: OutboxRecord[] = [];
    if (this.disk) {
      try {
        out = this.disk.read(max);
      } catch (err) {
        this.failed("read", err);
      }
    }
    while (out.length < max && this.memNext < this.mem.length) {
      const r = this.mem[this.memNext++]!;
      out.push({ id: r.id, ...r.msg });
    }
    return out;
  }

  rewind(): void {
    this.disk?.rewind();
    this.memNext = 0;
  }

  ack(id: number): void {
    if (id < MEM_BASE) {
      try {
        this.disk?.ack(id);
      } catch (err) {
        this.failed("ack", err);
      }
      return;
    }
    const i = this.indexOf(id);
    if (i < 0) return; // moved to disk or dropped meanwhile
    this.mem[i]!.acked = true;
    while (this.mem[0]?.acked) this.removeAt(0);
  }

  sync(): void {
    try {
      this.disk?.sync();
    } catch (err) {
      this.failed("sync", err);
    }
  }

  stats(): OutboxStats {
    const d = this.disk?.stats() ?? { depth: 0, bytes: 0, dropped: 0, refused: 0, tornBytes: 0, appended: 0, acked: 0 };
    return {
      ...d,
      depth: d.depth + this.mem.length,
      dropped: d.dropped + this.memDropped,
      refused: d.refused + this.memRefused,
    };
  }

  storage(): StorageState {
    return {
      state: this.fault ? "degraded" : "ok",
      ...(this.fault ? { fault: this.fault } : {}),
      memory: { records: this.mem.length, bytes: this.memBytes },
      errors: this.errors,
    };
  }

  /** Called by the disk outbox for writes it can do without (cursor, fsync, unlink). */
  reportError(op: string, err: Error): void {
    this.failed(op, err);
  }

  // ---- internals ----

  private async openDisk(): Promise<boolean> {
    const d = this.opts.create();
    try {
      await d.open();
      this.disk = d;
      return true;
    } catch (err) {
      await d.close().catch(() => undefined);
      this.failed("open", err);
      return false;
    }
  }

  private memAppend(msgs: readonly OutboxMessage[]): AppendResult[] {
    const sizes = msgs.map((m) => m.payload.length + (m.meta?.length ?? 0) + MEM_OVERHEAD);
    const bytes = sizes.reduce((a, b) => a + b, 0);
    const cap = this.opts.memoryBytes;
    if (this.memBytes + bytes > cap) {
      if (this.opts.full === "drop-newest" || bytes > cap) {
        this.memRefused += msgs.length;
        this.opts.onFull?.({ policy: this.opts.full, records: msgs.length, bytes });
        return msgs.map(() => ({ ok: false, reason: "full" }));
      }
      // Oldest telemetry first: events (a rule that fired, a fault) are few and small, and
      // are kept as long as there is telemetry to drop instead.
      let records = 0;
      let freed = 0;
      for (const telemetryOnly of [true, false]) {
        for (let i = 0; i < this.mem.length && this.memBytes + bytes > cap; ) {
          const r = this.mem[i]!;
          if (telemetryOnly && r.msg.kind !== "telemetry") {
            i++;
            continue;
          }
          freed += r.size;
          if (!r.acked) records++;
          this.removeAt(i);
        }
      }
      this.memDropped += records;
      this.opts.onFull?.({ policy: "drop-oldest", records, bytes: freed });
    }
    return msgs.map((msg, i) => {
      const r: MemRecord = { id: this.nextId++, msg, size: sizes[i]!, acked: false };
      this.mem.push(r);
      this.memBytes += r.size;
      return { ok: true, id: r.id };
    });
  }

  private removeAt(i: number): void {
    const [r] = this.mem.splice(i, 1);
    this.memBytes -= r!.size;
    if (i < this.memNext) this.memNext--;
  }

  /** Index of the memory record `id` (ids increase along the queue), or -1. */
  private indexOf(id: number): number {
    let lo = 0;
    let hi = this.mem.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const m = this.mem[mid]!.id;
      if (m === id) return mid;
      if (m < id) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  private failed(op: string, err: unknown): void {
    const e = err as NodeJS.ErrnoException;
    const fault: StorageFault = { op, code: e.code ?? "EUNKNOWN", message: String(e.message ?? err).slice(0, 300) };
    this.errors++;
    // Only faults that stop appends degrade the outbox; a failed cursor write or fsync is
    // reported (the next one is tried anyway) but appends still reach the disk.
    const stopsAppends = op === "open" || op === "append";
    const starts = stopsAppends && !this.fault;
    if (stopsAppends) {
      if (this.fault) {
        this.fault.last = fault;
      } else {
        this.fault = { ...fault, since: this.clock(), last: fault };
        this.lostAtFault = this.memDropped + this.memRefused;
      }
      this.probing = false;
      this.schedule();
    }
    this.opts.onError?.(fault, starts);
  }

  private schedule(): void {
    if (this.timer || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.retry();
    }, this.backoff.next());
    this.timer.unref();
  }

  /** Reopens the disk outbox if needed and moves the memory queue onto it. */
  private async retry(): Promise<void> {
    if (this.closed || !this.fault) return;
    const reopened = !this.disk;
    if (reopened && !(await this.openDisk())) return; // failed() rescheduled
    if (this.closed) return;
    const pending = this.mem.filter((r) => !r.acked);
    if (pending.length === 0 && reopened) {
      // The fault was the open: it is open now.
      this.mem = [];
      this.memBytes = 0;
      this.memNext = 0;
      this.recovered(0);
      return;
    }
    if (pending.length === 0) {
      // Nothing to move: the next append tries the disk (and recovers, or fails quietly).
      this.probing = true;
      this.mem = [];
      this.memBytes = 0;
      this.memNext = 0;
      this.schedule();
      return;
    }
    let results: AppendResult[];
    try {
      results = this.disk!.appendAll(pending.map((r) => r.msg));
    } catch (err) {
      this.failed("append", err);
      return;
    }
    this.mem = [];
    this.memBytes = 0;
    this.memNext = 0;
    this.recovered(results.filter((r) => r.ok).length);
  }

  private recovered(moved: number): void {
    const since = this.fault?.since ?? this.clock();
    const lost = this.memDropped + this.memRefused - this.lostAtFault;
    this.fault = undefined;
    this.probing = false;
    this.backoff.reset();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.opts.onRecovered?.({ ms: this.clock() - since, moved, lost });
  }
}
