/** Credential store in one JSON file, replaced atomically (temp file, fsync, rename). */
import { mkdir, open, readFile, rename, stat } from "node:fs/promises";
import { dirname, join, basename } from "node:path";
import type { RegistryData, RegistryStore } from "./types.ts";

export class FileRegistryStore implements RegistryStore {
  constructor(readonly path: string) {}

  async read(): Promise<RegistryData> {
    let text: string;
    try {
      text = await readFile(this.path, "utf8");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return { version: 1, identities: [] };
      throw e;
    }
    const data = JSON.parse(text) as RegistryData;
    if (data.version !== 1 || !Array.isArray(data.identities)) {
      throw new Error(`${this.path}: not a Fieldline registry (version 1)`);
    }
    return data;
  }

  async write(data: RegistryData): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    const tmp = join(dirname(this.path), `.${basename(this.path)}.${process.pid}.${Date.now()}.tmp`);
    const fh = await open(tmp, "w", 0o600);
    try {
      await fh.writeFile(JSON.stringify(data, null, 2) + "\n");
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, this.path);
  }

  async version(): Promise<string> {
    try {
      const s = await stat(this.path);
      return `${s.mtimeMs}:${s.size}:${s.ino}`;
    } catch {
      return "absent";
    }
  }
}
