/** Writes ground-truth records as JSON lines, buffered, honouring stream backpressure. */
import { createWriteStream, type WriteStream } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { once } from "node:events";
import type { TruthRecord } from "./records";

export interface TruthSink {
  write(record: TruthRecord): void | Promise<void>;
  close(): Promise<void>;
}

/** Collects records in memory (tests, dry runs). */
export class MemoryTruth implements TruthSink {
  readonly records: TruthRecord[] = [];
  write(record: TruthRecord): void {
    this.records.push(record);
  }
  async close(): Promise<void> {}
  text(): string {
    return this.records.map((r) => JSON.stringify(r)).join("\n") + "\n";
  }
}

export class JsonlTruth implements TruthSink {
  private stream: WriteStream | undefined;
  private pending: string[] = [];
  private size = 0;

  constructor(readonly file: string) {}

  async open(): Promise<this> {
    await mkdir(path.dirname(path.resolve(this.file)), { recursive: true });
    this.stream = createWriteStream(this.file);
    await once(this.stream, "open");
    return this;
  }

  async write(record: TruthRecord): Promise<void> {
    const line = JSON.stringify(record) + "\n";
    this.pending.push(line);
    this.size += line.length;
    if (this.size >= 1 << 16) await this.flush();
  }

  private async flush(): Promise<void> {
    if (!this.stream || this.pending.length === 0) return;
    const chunk = this.pending.join("");
    this.pending = [];
    this.size = 0;
    if (!this.stream.write(chunk)) await once(this.stream, "drain");
  }

  async close(): Promise<void> {
    await this.flush();
    const s = this.stream;
    this.stream = undefined;
    if (s) await new Promise<void>((resolve, reject) => s.end((err?: Error | null) => (err ? reject(err) : resolve())));
  }
}
