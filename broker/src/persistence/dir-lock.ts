/**
 * One broker per data directory: a `lock` file holding the owner's pid, created exclusively.
 * A lock left by a process that no longer runs (a broker killed -9) is taken over; one held by
 * a live process, this one included, is refused.
 */
import { open, readFile, rm } from "node:fs/promises";
import { join } from "node:path";

export interface DirLock {
  release(): Promise<void>;
}

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

export async function lockDir(dir: string): Promise<DirLock> {
  const path = join(dir, "lock");
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const h = await open(path, "wx");
      await h.writeFile(String(process.pid));
      await h.close();
      return { release: () => rm(path, { force: true }) };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      const pid = Number((await readFile(path, "utf8").catch(() => "")).trim());
      if (pid > 0 && running(pid)) throw new Error(`${dir} is in use by process ${pid} (another broker on the same data directory?)`);
      await rm(path, { force: true });
    }
  }
  throw new Error(`could not lock ${dir}`);
}
