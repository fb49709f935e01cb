/** Small JSON state files written atomically (tmp + fsync + rename; see writeJsonAtomic). */
import { closeSync, existsSync, fdatasyncSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { dirname } from "node:path";

export function readJson<T>(path: string): T | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, "utf8")) as T;
  } catch {
    return undefined;
  }
}

/**
 * Replaces `path` with `value` as JSON, all or nothing (tmp file, rename). `durable: false`
 * skips the fsync: the new content still survives the process being killed (the rename is
 * the commit, and the page cache outlives the process) but not a power loss, and the write
 * takes tens of microseconds instead of milliseconds.
 */
export function writeJsonAtomic(path: string, value: unknown, opts: { durable?: boolean } = {}): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, "w");
  try {
    const buf = Buffer.from(JSON.stringify(value));
    const n = writeSync(fd, buf);
    if (n < buf.length) throw Object.assign(new Error(`ENOSPC: short write of ${path}`), { code: "ENOSPC" });
    if (opts.durable !== false) fdatasyncSync(fd);
    closeSync(fd);
    renameSync(tmp, path);
  } catch (err) {
    // The previous file is untouched; the partial tmp file must not keep the disk full.
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
    try {
      unlinkSync(tmp);
    } catch {
      // not there, or the directory is read-only
    }
    throw err;
  }
}
