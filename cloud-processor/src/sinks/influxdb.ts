/**
 * InfluxDB through the official client's v2 write API (InfluxDB 2.x, 3.x, Cloud, 1.8+ and
 * VictoriaMetrics). The client's own batching and retries are switched off: the processor's
 * SinkWriter owns both, so that a flush resolves exactly when the server has the points.
 */
import { HttpError, InfluxDB } from "@influxdata/influxdb-client";
import { errMessage } from "./influxdb-v1.ts";
import { linesText, SinkError, retryableStatus, type LineBatch, type Sink } from "./sink.ts";

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

  async write(batch: LineBatch): Promise<void> {
    const client = this.client;
    if (!client) throw new SinkError("influxdb sink is not started", true);
    if (batch.points === 0) return;
    // One WriteApi per batch. The whole batch goes in as one record: the client joins
    // records with "\n" into the request body, so a multi-line record is sent as is.
    const api = client.getWriteApi(this.opts.org, this.opts.bucket, "ms", {
      batchSize: 2,
      flushInterval: 0,
      maxRetries: 0,
      // Make flush() reject with the error instead of scheduling the client's own retry.
      writeFailed: (error: Error) => Promise.reject(error),
    });
    const lines = linesText(batch);
    api.writeRecord(lines.endsWith("\n") ? lines.slice(0, -1) : lines);
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
