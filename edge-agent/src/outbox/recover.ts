/**
 * Crash recovery of one segment on open: every record is checked (length, CRC, kind); the
 * first bad one ends the valid data. In the last segment (the one a crash or power cut can
 * have torn) the tail is cut off so appends continue after the last good record; in an older
 * one the valid end is remembered and the rest is skipped.
 */
import { closeSync, fdatasyncSync, fstatSync, ftruncateSync, openSync, readSync } from "node:fs";
import { decodeRecord } from "./record";

export interface ScanResult {
  /** Bytes in the file after recovery. */
  size: number;
  /** Bytes holding valid records. */
  end: number;
  /** Valid records at or after `from`. */
  records: number;
  /** Bytes of torn or corrupt data found (cut off, or skipped). */
  tornBytes: number;
  /** Meta of the valid records at or after `from`, in order (copies). */
  meta: Uint8Array[];
}

export function scanSegment(path: string, from: number, isLast: boolean): ScanResult {
  const fd = openSync(path, isLast ? "r+" : "r");
  try {
    const size = fstatSync(fd).size;
    const buf = Buffer.allocUnsafe(size);
    let got = 0;
    while (got < size) {
      const n = readSync(fd, buf, got, size - got, got);
      if (n === 0) break;
      got += n;
    }
    const data = buf.subarray(0, got);
    let off = 0;
    let records = 0;
    const meta: Uint8Array[] = [];
    while (off < got) {
      const r = decodeRecord(data, off);
      if (!r.ok) break;
      if (off >= from) {
        records++;
        if (r.msg.meta) meta.push(Uint8Array.from(r.msg.meta));
      }
      off += r.size;
    }
    const tornBytes = size - off;
    if (tornBytes > 0 && isLast) {
      ftruncateSync(fd, off);
      fdatasyncSync(fd);
      return { size: off, end: off, records, tornBytes, meta };
    }
    return { size, end: off, records, tornBytes, meta };
  } finally {
    closeSync(fd);
  }
}

/** Makes a new or deleted file name durable (fsync of the directory). */
export function fsyncDir(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fdatasyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
