/** Temp dirs under the OS temp dir, each with its own remover. */
import { mkdtempSync, rmSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TempDir {
  path: string;
  remove(): Promise<void>;
}

export async function tempDir(prefix = "fl-test-"): Promise<TempDir> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

export interface TempDirSync {
  path: string;
  remove(): void;
}

/** The synchronous form, for tests that make and drop a dir inside one `it`. */
export function tempDirSync(prefix = "fl-test-"): TempDirSync {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}
