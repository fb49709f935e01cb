/**
 * The labels each device reports in its retained `state` message, kept so that label-scoped
 * rules resolve in the cloud. Saved with the rules state (temp file + rename) and read back
 * at start, so a restored rule state meets the same scopes.
 */
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";

export type Labels = Record<string, string>;

export class DeviceLabels {
  private readonly byDevice = new Map<string, Labels>();

  /** The device as the rules evaluator sees it (no labels when none were reported). */
  info(id: string): { id: string; labels?: Labels } {
    const labels = this.byDevice.get(id);
    return labels ? { id, labels } : { id };
  }

  /** Records a device's labels; returns true when they differ from those known. */
  set(id: string, labels: Labels): boolean {
    const old = this.byDevice.get(id);
    if (old && sameLabels(old, labels)) return false;
    this.byDevice.set(id, { ...labels });
    return true;
  }

  get size(): number {
    return this.byDevice.size;
  }

  /** Reads the saved labels; a missing file means none. */
  async load(path: string): Promise<void> {
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
      throw err;
    }
    const saved = JSON.parse(text) as Record<string, Labels>;
    for (const [id, labels] of Object.entries(saved)) this.byDevice.set(id, labels);
  }

  async save(path: string): Promise<void> {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(`${path}.tmp`, JSON.stringify(Object.fromEntries(this.byDevice)));
    await rename(`${path}.tmp`, path);
  }
}

function sameLabels(a: Labels, b: Labels): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => b[k] === a[k]);
}
