/** Reads the processor's line-protocol file sink (timestamps in ms unless told otherwise). */
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { parseLine } from "./line-protocol";
import { DEFAULT_LAYOUT, type StoreLayout, type StoreQuery, type StoreReader, type StoredPoint } from "./reader";

export interface LineFileOptions {
  path: string;
  /** Units of the file's timestamps. */
  precision?: "ms" | "s" | "us" | "ns";
  layout?: StoreLayout;
}

const TO_MS = { s: 1000, ms: 1, us: 1e-3, ns: 1e-6 } as const;

export class LineFileReader implements StoreReader {
  readonly name = "file";
  constructor(private readonly opts: LineFileOptions) {}

  async *read(q: StoreQuery): AsyncIterable<StoredPoint> {
    const layout = this.opts.layout ?? DEFAULT_LAYOUT;
    const scale = TO_MS[this.opts.precision ?? "ms"];
    const lines = createInterface({ input: createReadStream(this.opts.path), crlfDelay: Infinity });
    let n = 0;
    for await (const line of lines) {
      n++;
      let rec;
      try {
        rec = parseLine(line);
      } catch (err) {
        throw new Error(`${this.opts.path}:${n}: ${(err as Error).message}`);
      }
      if (!rec || rec.measurement !== layout.measurement || rec.timestamp === undefined) continue;
      const t = Math.round(rec.timestamp * scale);
      if (t < q.start || t >= q.end) continue;
      const { device, sensor, site } = rec.tags;
      if (device === undefined || sensor === undefined) continue;
      const v = rec.fields[layout.field];
      yield { device, sensor, t, value: typeof v === "number" ? v : undefined, ...(site !== undefined ? { site } : {}) };
    }
  }
}
