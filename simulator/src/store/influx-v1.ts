/**
 * Reads an InfluxDB 1.x database through `/query?db=..&epoch=ms` (chunked JSON), one
 * series per (site, device, sensor). Same series and timestamp overwrite in InfluxDB, so
 * duplicates cannot show here; missing and altered can.
 */
import { DEFAULT_LAYOUT, type StoreLayout, type StoreQuery, type StoreReader, type StoredPoint } from "./reader";

export interface InfluxV1Options {
  url: string;
  db: string;
  username?: string;
  password?: string;
  layout?: StoreLayout;
  chunkSize?: number;
}

interface Chunk {
  results?: { error?: string; series?: { tags?: Record<string, string>; columns: string[]; values: unknown[][] }[] }[];
  error?: string;
}

const ident = (s: string): string => `"${s.replace(/["\\]/g, "\\$&")}"`;

export class InfluxV1Reader implements StoreReader {
  readonly name = "influxdb-v1";
  constructor(private readonly opts: InfluxV1Options) {}

  async *read(q: StoreQuery): AsyncIterable<StoredPoint> {
    const layout = this.opts.layout ?? DEFAULT_LAYOUT;
    const query = `SELECT ${ident(layout.field)} FROM ${ident(layout.measurement)} WHERE time >= ${q.start}ms AND time < ${q.end}ms GROUP BY "site","device","sensor"`;
    const u = new URL("/query", this.opts.url);
    u.searchParams.set("db", this.opts.db);
    u.searchParams.set("epoch", "ms");
    u.searchParams.set("chunked", "true");
    u.searchParams.set("chunk_size", String(this.opts.chunkSize ?? 10_000));
    u.searchParams.set("q", query);
    if (this.opts.username !== undefined) u.searchParams.set("u", this.opts.username);
    if (this.opts.password !== undefined) u.searchParams.set("p", this.opts.password);
    const res = await fetch(u);
    if (!res.ok || !res.body) throw new Error(`InfluxDB query: HTTP ${res.status} ${await res.text()}`);
    for await (const chunk of jsonLines(res.body)) {
      const c = chunk as Chunk;
      const err = c.error ?? c.results?.find((r) => r.error)?.error;
      if (err) throw new Error(`InfluxDB query: ${err}`);
      for (const r of c.results ?? []) {
        for (const s of r.series ?? []) {
          const vi = s.columns.indexOf(layout.field);
          const tags = s.tags ?? {};
          for (const row of s.values) {
            const v = row[vi];
            yield {
              device: tags.device ?? "",
              sensor: tags.sensor ?? "",
              t: row[0] as number,
              value: typeof v === "number" ? v : undefined,
              ...(tags.site ? { site: tags.site } : {}),
            };
          }
        }
      }
    }
  }
}

/** Parses a stream of newline-separated JSON documents. */
export async function* jsonLines(body: ReadableStream<Uint8Array>): AsyncIterable<unknown> {
  const decoder = new TextDecoder();
  let buf = "";
  for await (const part of body as unknown as AsyncIterable<Uint8Array>) {
    buf += decoder.decode(part, { stream: true });
    let nl: number;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (line) yield JSON.parse(line);
    }
  }
  if (buf.trim()) yield JSON.parse(buf);
}
