/**
 * InfluxDB 1.x through its own HTTP write endpoint (`POST /write?db=..&precision=ms`), for the
 * 1.x servers the v2 client cannot talk to (Debian ships 1.6, which answers the v2 API with 404).
 */
import { SinkError, retryableStatus, type LineBatch, type Sink } from "./sink.ts";

export interface InfluxV1SinkOptions {
  url: string;
  database: string;
  username?: string;
  password?: string;
  retentionPolicy?: string;
  /** Per-request timeout in ms. */
  timeoutMs?: number;
}

export class InfluxV1Sink implements Sink {
  readonly name = "influxdb-v1";
  private readonly writeUrl: string;
  private readonly headers: Record<string, string>;

  constructor(private readonly opts: InfluxV1SinkOptions) {
    const u = new URL("/write", opts.url);
    u.searchParams.set("db", opts.database);
    u.searchParams.set("precision", "ms");
    if (opts.retentionPolicy) u.searchParams.set("rp", opts.retentionPolicy);
    this.writeUrl = u.toString();
    this.headers = { "content-type": "text/plain; charset=utf-8" };
    if (opts.username !== undefined) {
      const basic = Buffer.from(`${opts.username}:${opts.password ?? ""}`).toString("base64");
      this.headers.authorization = `Basic ${basic}`;
    }
  }

  async start(): Promise<void> {}

  async write(batch: LineBatch): Promise<void> {
    if (batch.points === 0) return;
    let res: Response;
    try {
      res = await fetch(this.writeUrl, {
        method: "POST",
        headers: this.headers,
        body: batch.lines,
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 10_000),
      });
    } catch (err) {
      throw new SinkError(`influxdb-v1 ${this.opts.url}: ${errMessage(err)}`, true);
    }
    if (res.status === 204 || res.status === 200) {
      await res.body?.cancel();
      return;
    }
    const text = await res.text().catch(() => "");
    throw new SinkError(`influxdb-v1 write: HTTP ${res.status} ${text.slice(0, 300)}`, retryableStatus(res.status));
  }

  async stop(): Promise<void> {}
}

export function errMessage(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    return cause instanceof Error ? `${err.message}: ${cause.message}` : err.message;
  }
  return String(err);
}
