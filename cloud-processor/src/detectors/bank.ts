/**
 * One anomaly detector per (device, sensor) series, created on first sight from a factory,
 * and checkpointed to one JSON file (written to a temp file, fsync'd, renamed) so a restart
 * continues warm. A checkpoint of a detector kind the factory does not know is ignored (the
 * series starts cold) rather than failing the start.
 */
import { mkdir, open, readFile, rename } from "node:fs/promises";
import { dirname } from "node:path";
import type { Logger } from "pino";
import type { Detector, DetectorFactory, DetectorState } from "../detection/detector.ts";

interface CheckpointFile {
  v: 1;
  detector: string;
  savedAt: number;
  series: Record<string, DetectorState>;
}

const SEP = "\u0000";

export class DetectorBank {
  private readonly series = new Map<string, Detector>();
  /** device -> sensor -> detector: the per-reading lookup, without building a key string. */
  private readonly byDevice = new Map<string, Map<string, Detector>>();

  constructor(
    private readonly factory: DetectorFactory,
    private readonly checkpointPath: string,
    private readonly log: Logger,
  ) {}

  get size(): number {
    return this.series.size;
  }

  score(device: string, sensor: string, t: number, value: number): number {
    return this.detector(device, sensor).score(t, value);
  }

  /** The series' detector, created on first sight. */
  detector(device: string, sensor: string): Detector {
    let bySensor = this.byDevice.get(device);
    if (!bySensor) {
      bySensor = new Map();
      this.byDevice.set(device, bySensor);
    }
    let d = bySensor.get(sensor);
    if (!d) {
      const key = device + SEP + sensor;
      d = this.series.get(key);
      if (!d) {
        d = this.factory.create();
        this.series.set(key, d);
      }
      bySensor.set(sensor, d);
    }
    return d;
  }

  /** Loads the checkpoint if there is one; returns how many series were restored. */
  async load(): Promise<number> {
    let text: string;
    try {
      text = await readFile(this.checkpointPath, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return 0;
      throw err;
    }
    let file: CheckpointFile;
    try {
      file = JSON.parse(text) as CheckpointFile;
    } catch (err) {
      this.log.warn({ path: this.checkpointPath, err: (err as Error).message }, "detector checkpoint unreadable; starting cold");
      return 0;
    }
    if (file.detector !== this.factory.name) {
      this.log.warn({ saved: file.detector, current: this.factory.name }, "detector checkpoint is for another detector; starting cold");
      return 0;
    }
    let n = 0;
    for (const [key, state] of Object.entries(file.series)) {
      try {
        this.series.set(key, this.factory.restore(state));
        this.byDevice.clear();
        n++;
      } catch (err) {
        this.log.warn({ series: key.replace(SEP, "/"), err: (err as Error).message }, "detector state not restored");
      }
    }
    return n;
  }

  async checkpoint(): Promise<void> {
    const file: CheckpointFile = { v: 1, detector: this.factory.name, savedAt: Date.now(), series: {} };
    for (const [key, d] of this.series) file.series[key] = d.snapshot();
    await mkdir(dirname(this.checkpointPath), { recursive: true });
    const tmp = `${this.checkpointPath}.tmp`;
    const fh = await open(tmp, "w");
    try {
      await fh.writeFile(JSON.stringify(file));
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, this.checkpointPath);
  }
}
