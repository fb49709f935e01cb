/**
 * The files of a disk persistence directory. `log-N` holds the records appended since
 * snapshot N was taken; `snap-N` is the state at the start of `log-N`, written to
 * `snap-N.tmp`, synced and renamed, so a `snap-N` that exists is whole. Recovery reads the
 * newest snapshot and every log from its generation on.
 */
import { open, readdir, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";

const pad = (n: number) => String(n).padStart(10, "0");
export const logPath = (dir: string, gen: number) => join(dir, `log-${pad(gen)}`);
export const snapPath = (dir: string, gen: number) => join(dir, `snap-${pad(gen)}`);

export interface Generations {
  /** Newest complete snapshot, if any. */
  snapshot?: number;
  /** Logs to replay after it, oldest first. */
  logs: number[];
}

export async function listGenerations(dir: string): Promise<Generations> {
  const names = await readdir(dir);
  const gens = (prefix: string) =>
    names
      .map((n) => new RegExp(`^${prefix}-(\\d{10})$`).exec(n))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
  const snaps = gens("snap");
  const snapshot = snaps.at(-1);
  const logs = gens("log").filter((g) => snapshot === undefined || g >= snapshot);
  return { ...(snapshot === undefined ? {} : { snapshot }), logs };
}

/** Syncs a directory, so a file created or renamed in it survives a power cut. */
export async function syncDir(dir: string): Promise<void> {
  const h = await open(dir, "r");
  try {
    await h.sync();
  } finally {
    await h.close();
  }
}

/** Writes snapshot `gen` whole or not at all, then removes what it replaces. */
export async function writeSnapshot(dir: string, gen: number, records: Buffer[], fsync: boolean): Promise<number> {
  const tmp = `${snapPath(dir, gen)}.tmp`;
  const data = Buffer.concat(records);
  await writeFile(tmp, data);
  if (fsync) {
    const h = await open(tmp, "r+");
    try {
      await h.datasync();
    } finally {
      await h.close();
    }
  }
  await rename(tmp, snapPath(dir, gen));
  if (fsync) await syncDir(dir);
  const names = await readdir(dir);
  for (const n of names) {
    const m = /^(log|snap)-(\d{10})(\.tmp)?$/.exec(n);
    if (m && Number(m[2]) < gen) await rm(join(dir, n), { force: true });
  }
  return data.length;
}
