/**
 * Reads VictoriaMetrics through `/api/v1/export` (one JSON line per series). Points written
 * with the InfluxDB write APIs are named `<measurement>_<field>` with the tags as labels.
 * VictoriaMetrics keeps about 12 significant digits: verify with a matching tolerance.
 */
import { jsonLines } from "./influx-v1";
import { DEFAULT_LAYOUT, type StoreLayout, type StoreQuery, type StoreReader, type StoredPoint } from "./reader";

export interface VictoriaOptions {
  url: string;
  layout?: StoreLayout;
}

interface ExportLine {
  metric: Record<string, string>;
  values: (number | null)[];
  timestamps: number[];
}

export class VictoriaReader implements StoreReader {
  readonly name = "victoria-metrics";
  constructor(private readonly opts: VictoriaOptions) {}

  async *read(q: StoreQuery): AsyncIterable<StoredPoint> {
    const layout = this.opts.layout ?? DEFAULT_LAYOUT;
    const u = new URL("/api/v1/export", this.opts.url);
    u.searchParams.set("match[]", `{__name__=${JSON.stringify(`${layout.measurement}_${layout.field}`)}}`);
    u.searchParams.set("start", (q.start / 1000).toFixed(3));
    u.searchParams.set("end", ((q.end - 1) / 1000).toFixed(3));
    const res = await fetch(u);
    if (!res.ok || !res.body) throw new Error(`VictoriaMetrics export: HTTP ${res.status} ${await res.text()}`);
    for await (const item of jsonLines(res.body)) {
      const line = item as ExportLine;
      const { device, sensor, site } = line.metric;
      if (device === undefined || sensor === undefined) continue;
      for (let i = 0; i < line.timestamps.length; i++) {
        const t = line.timestamps[i]!;
        if (t < q.start || t >= q.end) continue;
        const v = line.values[i];
        yield { device, sensor, t, value: typeof v === "number" ? v : undefined, ...(site !== undefined ? { site } : {}) };
      }
    }
  }
}
