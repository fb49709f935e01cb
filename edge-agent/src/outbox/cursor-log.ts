/**
 * The ack cursor on disk: an append-only log of fixed 16-byte entries
 *   u32 LE segment | u32 LE offset | u32 LE CRC-32 of the first 8 bytes | u32 LE magic
 * The last valid entry wins; a torn last entry is ignored (the previous one is used, so a
 * crash at worst republishes a few acked records, which the cloud dedupes by boot + seq).
 * When the log passes `compactBytes` it is rewritten with one entry (tmp file + rename).
 */
import { closeSync, existsSync, fstatSync, openSync, readFileSync, renameSync, writeSync, fdatasyncSync } from "node:fs";
import { join } from "node:path";
import { crc32 } from "node:zlib";

export interface Cursor {
  seg: number;
  off: number;
}

const ENTRY = 16;
const MAGIC = 0x464c4143; // "FLAC"
const FILE = "cursor.log";

export class CursorLog {
  private fd: number | undefined;
  private size = 0;

  constructor(
    private readonly dir: string,
    private readonly compactBytes = 64 * 1024,
  ) {}

  /** Reads the last valid cursor (undefined if none) and opens the log for appending. */
  open(): Cursor | undefined {
    const path = join(this.dir, FILE);
    let last: Cursor | undefined;
    if (existsSync(path)) {
      const buf = readFileSync(path);
      for (let off = Math.floor(buf.length / ENTRY) * ENTRY - ENTRY; off >= 0; off -= ENTRY) {
        const e = decodeEntry(buf, off);
        if (e) {
          last = e;
          break;
        }
      }
    }
    this.fd = openSync(path, "a");
    this.size = fstatSync(this.fd).size;
    return last;
  }

  write(c: Cursor): void {
    if (this.fd === undefined) throw new Error("cursor log is not open");
    if (this.size >= this.compactBytes) {
      this.compact(c);
      return;
    }
    writeSync(this.fd, encodeEntry(c));
    this.size += ENTRY;
  }

  sync(): void {
    if (this.fd !== undefined) fdatasyncSync(this.fd);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private compact(c: Cursor): void {
    const tmp = join(this.dir, `${FILE}.tmp`);
    const fd = openSync(tmp, "w");
    writeSync(fd, encodeEntry(c));
    fdatasyncSync(fd);
    closeSync(fd);
    renameSync(tmp, join(this.dir, FILE));
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = openSync(join(this.dir, FILE), "a");
    this.size = ENTRY;
  }
}

function encodeEntry(c: Cursor): Buffer {
  const b = Buffer.alloc(ENTRY);
  b.writeUInt32LE(c.seg, 0);
  b.writeUInt32LE(c.off, 4);
  b.writeUInt32LE(crc32(b.subarray(0, 8)), 8);
  b.writeUInt32LE(MAGIC, 12);
  return b;
}

function decodeEntry(b: Buffer, off: number): Cursor | undefined {
  if (b.readUInt32LE(off + 12) !== MAGIC) return undefined;
  if (crc32(b.subarray(off, off + 8)) !== b.readUInt32LE(off + 8)) return undefined;
  return { seg: b.readUInt32LE(off), off: b.readUInt32LE(off + 4) };
}
