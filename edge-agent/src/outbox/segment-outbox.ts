/**
 * Outbox as append-only segment files in one directory:
 *
 *   seg-0000000001.log, seg-0000000002.log, ...   records (see record.ts), appended in order
 *   cursor.log                                      position of the oldest unacked record
 *
 * Append writes the whole record with one write(2) to the newest segment, so a kill -9 never
 * loses a record that append() returned for (it is in the page cache); power loss loses at
 * most what the fsync policy has not yet forced to disk, and a torn tail is found by its
 * length/CRC on open, counted and cut off. A segment is deleted once the cursor has passed
 * it. When the outbox would exceed `maxBytes`, the `full` policy either drops the oldest
 * whole segment (counting its unacked records) or refuses the new record (counted).
 */
import {
  close as closeAsync,
  closeSync,
  existsSync,
  fdatasync,
  fdatasyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readSync,
  readdirSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { CursorLog, type Cursor } from "./cursor-log";
import type { AppendResult, Outbox, OutboxMessage, OutboxRecord, OutboxStats } from "./outbox";
import { decodeRecord, encodeRecord } from "./record";
import { fsyncDir, scanSegment } from "./recover";

export type FsyncPolicy = "always" | "interval" | "never";
export type FullPolicy = "drop-oldest" | "drop-newest";

export interface SegmentOutboxOptions {
  dir: string;
  /** Total bytes on disk the outbox may hold. */
  maxBytes: number;
  /** Size at which a new segment is started (clamped to maxBytes / 4). */
  segmentBytes?: number;
  fsync?: FsyncPolicy;
  /** With fsync "interval": how often dirty data is forced to disk. */
  fsyncIntervalMs?: number;
  full?: FullPolicy;
  /** Called when records are dropped or refused because the outbox is full. */
  onFull?: (info: { policy: FullPolicy; records: number; bytes: number }) => void;
  /**
   * A write that the outbox can do without (ack cursor, background fsync, deleting a passed
   * segment) failed: reported here instead of thrown, and done again later where it matters.
   */
  onError?: (op: string, err: Error) => void;
}

interface Segment {
  no: number;
  /** Bytes in the file. */
  size: number;
  /** Bytes that hold valid records (== size except for a corrupt middle segment). */
  end: number;
}

const SEG_RE = /^seg-(\d{10})\.log$/;
const TWO_32 = 2 ** 32;
const READ_CHUNK = 256 * 1024;

const segName = (no: number) => `seg-${String(no).padStart(10, "0")}.log`;
const idOf = (c: Cursor) => c.seg * TWO_32 + c.off;

export class SegmentOutbox implements Outbox {
  private readonly opts: Required<Omit<SegmentOutboxOptions, "onFull" | "onError">> & Pick<SegmentOutboxOptions, "onFull" | "onError">;
  private segments: Segment[] = [];
  private writeFd: number | undefined;
  private cursor: Cursor = { seg: 1, off: 0 };
  private readPos: Cursor = { seg: 1, off: 0 };
  /** Records read and not yet past the cursor, in order, with the position after each. */
  private inflight: { id: number; next: Cursor; acked: boolean }[] = [];
  private cursorLog: CursorLog;
  private cursorDirty = false;
  private cursorFlush: NodeJS.Immediate | undefined;
  private dataDirty = false;
  /** An fdatasync running on the thread pool ("interval" policy, segment roll). */
  private syncing = 0;
  private timer: NodeJS.Timeout | undefined;
  private chunk: { seg: number; start: number; buf: Buffer } | undefined;
  private readFd: { seg: number; fd: number } | undefined;
  private recovered: Uint8Array[] = [];
  private counters: OutboxStats = { depth: 0, bytes: 0, dropped: 0, refused: 0, tornBytes: 0, appended: 0, acked: 0 };

  constructor(opts: SegmentOutboxOptions) {
    const segmentBytes = Math.max(4096, Math.min(opts.segmentBytes ?? 4 * 1024 * 1024, Math.floor(opts.maxBytes / 4)));
    this.opts = {
      fsync: "interval",
      fsyncIntervalMs: 200,
      full: "drop-oldest",
      onFull: undefined,
      onError: undefined,
      ...opts,
      segmentBytes,
    };
    this.cursorLog = new CursorLog(opts.dir);
  }

  async open(): Promise<void> {
    mkdirs(this.opts.dir);
    const saved = this.cursorLog.open();
    const nos = readdirSync(this.opts.dir)
      .map((f) => SEG_RE.exec(f)?.[1])
      .filter((m): m is string => m !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
    let cursor = saved ?? { seg: nos[0] ?? 1, off: 0 };
    for (const no of nos) {
      if (no < cursor.seg) unlinkSync(this.path(no));
    }
    const live = nos.filter((no) => no >= cursor.seg);
    if (live.length === 0 || live[0] !== cursor.seg) cursor = { seg: live[0] ?? cursor.seg, off: 0 };
    this.counters.depth = 0;
    for (const [i, no] of live.entries()) {
      const isLast = i === live.length - 1;
      const r = scanSegment(this.path(no), no === cursor.seg ? cursor.off : 0, isLast);
      this.segments.push({ no, size: r.size, end: r.end });
      this.counters.depth += r.records;
      this.counters.tornBytes += r.tornBytes;
      for (const m of r.meta) this.recovered.push(m);
    }
    if (this.segments.length === 0) this.segments.push({ no: cursor.seg, size: 0, end: 0 });
    const first = this.segments[0]!;
    if (cursor.seg !== first.no || cursor.off > first.end) cursor = { seg: first.no, off: Math.min(cursor.off, first.end) };
    this.cursor = cursor;
    this.readPos = { ...cursor };
    this.counters.bytes = this.segments.reduce((n, s) => n + s.size, 0);
    // Everything acknowledged: start a new, empty segment and delete the old one, so an
    // outbox that filled the disk gives its space back at start (and a restart on a full
    // disk does not depend on writing to it).
    if (this.counters.depth === 0 && this.counters.bytes > 0) this.startEmpty();
    this.writeFd = openSync(this.path(this.last().no), "a");
    if (this.opts.fsync !== "never") fsyncDir(this.opts.dir);
    if (this.opts.fsync === "interval") {
      this.timer = setInterval(() => this.syncInBackground(), this.opts.fsyncIntervalMs);
      this.timer.unref();
    }
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.cursorFlush) clearImmediate(this.cursorFlush);
    this.cursorFlush = undefined;
    while (this.syncing > 0) await new Promise((r) => setTimeout(r, 1));
    this.sync();
    if (this.writeFd !== undefined) closeSync(this.writeFd);
    this.writeFd = undefined;
    this.closeReadFd();
    this.cursorLog.close();
  }

  append(msg: OutboxMessage): AppendResult {
    return this.appendAll([msg])[0]!;
  }

  appendAll(msgs: readonly OutboxMessage[]): AppendResult[] {
    if (this.writeFd === undefined) throw new Error("outbox is not open");
    if (msgs.length === 0) return [];
    try {
      return this.appendOnce(msgs);
    } catch (err) {
      // A full disk with nothing left to publish: give the acknowledged segment's space back
      // and try once more (the outbox may be what filled the disk).
      const code = (err as NodeJS.ErrnoException).code;
      if ((code === "ENOSPC" || code === "EDQUOT") && this.counters.depth === 0 && this.counters.bytes > 0) {
        this.startEmpty();
        this.writeFd = openSync(this.path(this.last().no), "a");
        return this.appendOnce(msgs);
      }
      throw err;
    }
  }

  private appendOnce(msgs: readonly OutboxMessage[]): AppendResult[] {
    const recs = msgs.map(encodeRecord);
    const bytes = recs.reduce((n, r) => n + r.length, 0);
    let seg = this.last();
    if (seg.size > 0 && seg.size + bytes > this.opts.segmentBytes) seg = this.roll();
    if (this.counters.bytes + bytes > this.opts.maxBytes && !this.makeRoom(bytes)) {
      this.counters.refused += msgs.length;
      this.opts.onFull?.({ policy: this.opts.full, records: msgs.length, bytes });
      return msgs.map(() => ({ ok: false, reason: "full" }));
    }
    const out: AppendResult[] = [];
    let at = seg.size;
    for (const r of recs) {
      out.push({ ok: true, id: seg.no * TWO_32 + at });
      at += r.length;
    }
    // One write: a kill leaves all of these records or none (a power cut may tear the tail,
    // which recovery cuts off at the last whole record).
    this.writeAll(seg, recs.length === 1 ? recs[0]! : Buffer.concat(recs, bytes));
    seg.size += bytes;
    seg.end = seg.size;
    this.counters.bytes += bytes;
    this.counters.depth += msgs.length;
    this.counters.appended += msgs.length;
    if (this.opts.fsync === "always") {
      try {
        fdatasyncSync(this.writeFd!);
      } catch (err) {
        // Written (in the page cache) but not known to be on the disk: reported, kept.
        this.dataDirty = true;
        this.opts.onError?.("fsync", err as Error);
      }
    } else {
      this.dataDirty = true;
    }
    return out;
  }

  recoveredMeta(): readonly Uint8Array[] {
    return this.recovered;
  }

  read(max: number): OutboxRecord[] {
    const out: OutboxRecord[] = [];
    while (out.length < max) {
      const idx = this.segments.findIndex((s) => s.no === this.readPos.seg);
      const seg = this.segments[idx];
      if (!seg) break;
      if (this.readPos.off >= seg.end) {
        const next = this.segments[idx + 1];
        if (!next) break;
        this.readPos = { seg: next.no, off: 0 };
        continue;
      }
      const rec = this.readAt(seg, this.readPos.off);
      if (!rec) {
        // Corrupt data found after open (disk fault): skip the rest of this segment.
        this.counters.tornBytes += seg.end - this.readPos.off;
        seg.end = this.readPos.off;
        continue;
      }
      const id = idOf(this.readPos);
      const next = { seg: seg.no, off: this.readPos.off + rec.size };
      out.push({ id, ...rec.msg });
      this.inflight.push({ id, next, acked: false });
      this.readPos = next;
    }
    return out;
  }

  rewind(): void {
    this.inflight = [];
    this.readPos = { ...this.cursor };
  }

  ack(id: number): void {
    if (id < idOf(this.cursor)) return;
    const entry = this.inflight.find((e) => e.id === id);
    if (!entry || entry.acked) return;
    entry.acked = true;
    this.counters.acked++;
    let moved = false;
    while (this.inflight[0]?.acked) {
      this.cursor = this.inflight.shift()!.next;
      this.counters.depth--;
      moved = true;
    }
    if (!moved) return;
    this.cursorDirty = true;
    this.releaseSegmentsBefore(this.cursor);
    this.cursorFlush ??= setImmediate(() => {
      this.cursorFlush = undefined;
      this.writeCursor();
    });
  }

  sync(): void {
    this.writeCursor();
    this.syncData();
  }

  stats(): OutboxStats {
    return { ...this.counters };
  }

  // ---- internals ----

  private path(no: number): string {
    return join(this.opts.dir, segName(no));
  }

  private last(): Segment {
    return this.segments[this.segments.length - 1]!;
  }

  private roll(): Segment {
    // The new file first: if it cannot be created (no inodes, read-only), nothing changed.
    const no = this.last().no + 1;
    const fd = openSync(this.path(no), "a");
    const old = this.writeFd;
    if (old !== undefined) {
      if (this.opts.fsync === "always") {
        fdatasyncSync(old);
        closeSync(old);
      } else if (this.opts.fsync === "interval") {
        // Off the event loop: a safety reading must never wait for the disk.
        this.syncing++;
        fdatasync(old, (err) => {
          if (err) this.opts.onError?.("fsync", err);
          closeAsync(old, () => this.syncing--);
        });
      } else {
        closeSync(old);
      }
    }
    const seg: Segment = { no, size: 0, end: 0 };
    this.segments.push(seg);
    this.writeFd = fd;
    if (this.opts.fsync !== "never") this.tryFsyncDir();
    this.dataDirty = false;
    return seg;
  }

  /** Applies the full policy; true if `need` bytes now fit. */
  private makeRoom(need: number): boolean {
    if (this.opts.full === "drop-newest") return false;
    while (this.counters.bytes + need > this.opts.maxBytes && this.segments.length > 1) {
      const oldest = this.segments[0]!;
      const from = this.cursor.seg === oldest.no ? this.cursor.off : 0;
      const records = this.countRecords(oldest, from);
      const next = this.segments[1]!;
      this.counters.dropped += records;
      this.counters.depth -= records;
      this.opts.onFull?.({ policy: "drop-oldest", records, bytes: oldest.end - from });
      this.cursor = { seg: next.no, off: 0 };
      this.inflight = this.inflight.filter((e) => e.id >= idOf(this.cursor));
      if (this.readPos.seg < next.no) this.readPos = { ...this.cursor };
      this.cursorDirty = true;
      this.releaseSegmentsBefore(this.cursor);
      this.writeCursor();
    }
    return this.counters.bytes + need <= this.opts.maxBytes;
  }

  private releaseSegmentsBefore(c: Cursor): void {
    while (this.segments.length > 1 && this.segments[0]!.no < c.seg) {
      const gone = this.segments.shift()!;
      if (this.readFd?.seg === gone.no) this.closeReadFd();
      if (this.chunk?.seg === gone.no) this.chunk = undefined;
      this.counters.bytes -= gone.size;
      // The cursor should reach disk before the segment disappears, or a crash could leave
      // a cursor pointing into a deleted segment (harmless: open() starts at the next one).
      // If it cannot be written (disk full), the segment is deleted anyway: that frees space.
      this.writeCursor();
      try {
        unlinkSync(this.path(gone.no));
      } catch (err) {
        this.opts.onError?.("unlink", err as Error);
      }
    }
  }

  private writeCursor(): void {
    if (!this.cursorDirty) return;
    try {
      this.cursorLog.write(this.cursor);
      this.cursorDirty = false;
    } catch (err) {
      // Kept dirty: written with the next ack. Until then a crash republishes a little more.
      this.opts.onError?.("cursor", err as Error);
    }
  }

  /**
   * Writes `buf` at the end of `seg`. A short write (the disk filled up in the middle) is cut
   * back off, so the segment never holds part of a record before later ones, and throws.
   */
  private writeAll(seg: Segment, buf: Buffer): void {
    const fd = this.writeFd!;
    let n: number;
    try {
      n = writeSync(fd, buf);
    } catch (err) {
      this.cutBack(fd, seg);
      throw err;
    }
    if (n < buf.length) {
      this.cutBack(fd, seg);
      throw Object.assign(new Error(`ENOSPC: short write (${n} of ${buf.length} bytes)`), { code: "ENOSPC" });
    }
  }

  private cutBack(fd: number, seg: Segment): void {
    try {
      ftruncateSync(fd, seg.size);
    } catch (err) {
      // Recovery at the next open cuts a torn tail off; appends after it would be lost with
      // it, so stop appending to this segment.
      this.opts.onError?.("truncate", err as Error);
      seg.size = this.opts.segmentBytes;
    }
  }

  /**
   * Nothing unacknowledged: a new empty segment becomes the only one and the old ones are
   * deleted (first, to free their space; a crash in between leaves a cursor naming a deleted
   * segment, which open() handles).
   */
  private startEmpty(): void {
    const no = this.last().no + 1;
    if (this.writeFd !== undefined) {
      closeSync(this.writeFd);
      this.writeFd = undefined;
    }
    this.closeReadFd();
    for (const s of this.segments) {
      try {
        unlinkSync(this.path(s.no));
      } catch (err) {
        this.opts.onError?.("unlink", err as Error);
      }
    }
    this.segments = [{ no, size: 0, end: 0 }];
    this.counters.bytes = 0;
    this.cursor = { seg: no, off: 0 };
    this.readPos = { ...this.cursor };
    this.inflight = [];
    this.cursorDirty = true;
    this.writeCursor();
  }

  /** Forces written data to disk now, blocking (close, graceful shutdown). */
  private syncData(): void {
    if (this.dataDirty && this.writeFd !== undefined) {
      this.dataDirty = false;
      fdatasyncSync(this.writeFd);
    }
  }

  /** The "interval" policy's tick: fdatasync on the thread pool, never two at once. */
  private syncInBackground(): void {
    if (!this.dataDirty || this.writeFd === undefined || this.syncing > 0) return;
    this.dataDirty = false;
    this.syncing++;
    fdatasync(this.writeFd, (err) => {
      this.syncing--;
      if (err) {
        this.dataDirty = true;
        this.opts.onError?.("fsync", err);
      }
    });
  }

  private tryFsyncDir(): void {
    try {
      fsyncDir(this.opts.dir);
    } catch (err) {
      this.opts.onError?.("fsync", err as Error);
    }
  }

  private readAt(seg: Segment, off: number): { msg: OutboxMessage; size: number } | undefined {
    for (let attempt = 0; attempt < 2; attempt++) {
      const c = this.chunk;
      if (c && c.seg === seg.no && off >= c.start && off < c.start + c.buf.length) {
        const r = decodeRecord(c.buf, off - c.start);
        if (r.ok) return { msg: copyMsg(r.msg), size: r.size };
        if (r.reason === "corrupt") return undefined;
      }
      this.loadChunk(seg, off);
    }
    const c = this.chunk!;
    const r = decodeRecord(c.buf, off - c.start);
    return r.ok ? { msg: copyMsg(r.msg), size: r.size } : undefined;
  }

  private loadChunk(seg: Segment, off: number): void {
    const fd = this.fdFor(seg.no);
    const hdr = Buffer.alloc(4);
    readSync(fd, hdr, 0, 4, off);
    const want = Math.min(seg.end - off, Math.max(READ_CHUNK, hdr.readUInt32LE(0) + 8));
    const buf = Buffer.allocUnsafe(Math.max(0, want));
    const n = readSync(fd, buf, 0, buf.length, off);
    this.chunk = { seg: seg.no, start: off, buf: buf.subarray(0, n) };
  }

  private fdFor(no: number): number {
    if (this.readFd?.seg === no) return this.readFd.fd;
    this.closeReadFd();
    this.readFd = { seg: no, fd: openSync(this.path(no), "r") };
    return this.readFd.fd;
  }

  private closeReadFd(): void {
    if (this.readFd) closeSync(this.readFd.fd);
    this.readFd = undefined;
    this.chunk = undefined;
  }

  private countRecords(seg: Segment, from: number): number {
    let n = 0;
    for (let off = from; off < seg.end; ) {
      const r = this.readAt(seg, off);
      if (!r) break;
      n++;
      off += r.size;
    }
    return n;
  }
}

function copyMsg(m: OutboxMessage): OutboxMessage {
  const out: OutboxMessage = { kind: m.kind, retain: m.retain, payload: new Uint8Array(m.payload) };
  if (m.meta) out.meta = new Uint8Array(m.meta);
  return out;
}

/**
 * mkdir -p that reports the real reason: Node's recursive mkdir says ENOENT when a parent
 * cannot be created on a read-only or unwritable file system; the first missing directory,
 * made on its own, throws EROFS or EACCES instead.
 */
function mkdirs(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    let first = dir;
    while (!existsSync(dirname(first)) && dirname(first) !== first) first = dirname(first);
    mkdirSync(first);
    throw err;
  }
}
