/**
 * InfluxDB through the official client's v2 write API (InfluxDB 2.x, 3.x, Cloud, 1.8+ and
 * VictoriaMetrics). The client's own batching and retries are switched off: the processor's
 * SinkWriter owns both, so that a flush resolves exactly when the server has the points.
 */
import { HttpError, InfluxDB } from "@influxdata/influxdb-client";
import { errMessage } from "./influxdb-v1.ts";
import { toLine } from "./line-protocol.ts";
import { SinkError, retryableStatus, type Point, type Sink } from "./sink.ts";

export interface InfluxV2SinkOptions {
  url: string;
  token?: string;
  org: string;
  bucket: string;
  timeoutMs?: number;
}

export class InfluxV2Sink implements Sink {
  readonly name = "influxdb";
  private client: InfluxDB | undefined;

  constructor(private readonly opts: InfluxV2SinkOptions) {}

  async start(): Promise<void> {
    this.client = new InfluxDB({ url: this.opts.url, token: this.opts.token, timeout: this.opts.timeoutMs ?? 10_000 });
  }

  async write(points: readonly Point[]): Promise<void> {
    const client = this.client;
    if (!client) throw new SinkError("influxdb sink is not started", true);
    if (points.length === 0) return;
    // One WriteApi per batch, sized to it: the client allocates its buffer by batchSize.
    const api = client.getWriteApi(this.opts.org, this.opts.bucket, "ms", {
      batchSize: points.length + 1,
      flushInterval: 0,
      maxRetries: 0,
      // Make flush() reject with the error instead of scheduling the client's own retry.
      writeFailed: (error: Error) => Promise.reject(error),
    });
    api.writeRecords(points.map(toLine));
    try {
      await api.flush();
    } catch (err) {
      if (err instanceof HttpError) {
        throw new SinkError(`influxdb write: HTTP ${err.statusCode} ${err.body?.slice(0, 300) ?? ""}`, retryableStatus(err.statusCode));
      }
      throw new SinkError(`influxdb ${this.opts.url}: ${errMessage(err)}`, true);
    } finally {
      api.dispose();
    }
  }

  async stop(): Promise<void> {
    this.client = undefined;
  }
}
