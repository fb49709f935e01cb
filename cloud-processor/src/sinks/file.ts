/**
 * The embedded default sink: appends line protocol to a file and fsyncs each batch, so it
 * needs no server. The file can be replayed into any InfluxDB with `influx write`/`-import`.
 */
import { mkdir, open, type FileHandle } from "node:fs/promises";
import { dirname } from "node:path";
import { SinkError, type LineBatch, type Sink } from "./sink.ts";

export interface FileSinkOptions {
  path: string;
  /** fsync after every batch (default true); off trades durability for speed. */
  fsync?: boolean;
}

export class FileSink implements Sink {
  readonly name = "file";
  private fh: FileHandle | undefined;

  constructor(private readonly opts: FileSinkOptions) {}

  async start(): Promise<void> {
    await mkdir(dirname(this.opts.path), { recursive: true });
    this.fh = await open(this.opts.path, "a");
  }

  async write(batch: LineBatch): Promise<void> {
    if (!this.fh) throw new SinkError("file sink is not started", true);
    if (batch.points === 0) return;
    try {
      await this.fh.appendFile(batch.lines);
      if (this.opts.fsync !== false) await this.fh.datasync();
    } catch (err) {
      throw new SinkError(`file sink ${this.opts.path}: ${(err as Error).message}`, true);
    }
  }

  async stop(): Promise<void> {
    const fh = this.fh;
    this.fh = undefined;
    await fh?.close();
  }
}
