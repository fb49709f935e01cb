/**
 * Dead-letter store: one JSON line per rejected message with its topic, reason and raw bytes
 * (hex), so an operator can inspect or replay it. Appends are fsync'd before the message is
 * acknowledged.
 */
import { mkdir, open, type FileHandle } from "node:fs/promises";
import { dirname } from "node:path";

export interface DeadLetter {
  /** Wall time it was set aside (ms). */
  at: number;
  topic: string;
  reason: string;
  message: string;
  hex: string;
}

export class DeadLetterStore {
  private fh: FileHandle | undefined;
  private chain: Promise<void> = Promise.resolve();

  constructor(readonly path: string) {}

  async start(): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    this.fh = await open(this.path, "a");
  }

  /** Appends one record; resolves once it is on disk. Writes are serialised. */
  add(topic: string, reason: string, message: string, payload: Uint8Array): Promise<void> {
    const rec: DeadLetter = { at: Date.now(), topic, reason, message, hex: Buffer.from(payload).toString("hex") };
    const line = JSON.stringify(rec) + "\n";
    const next = this.chain.then(async () => {
      if (!this.fh) throw new Error("dead-letter store is not started");
      await this.fh.appendFile(line);
      await this.fh.datasync();
    });
    this.chain = next.catch(() => {});
    return next;
  }

  async stop(): Promise<void> {
    await this.chain;
    const fh = this.fh;
    this.fh = undefined;
    await fh?.close();
  }
}
