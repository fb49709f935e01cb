/** Detection on the event loop, scored in slices by a DetectQueue (see queue.ts). */
import type { Logger } from "pino";
import type { DetectorFactory } from "../detection/detector.ts";
import { DetectorBank } from "./bank.ts";
import type { Detection, ScoreBatch } from "./detection.ts";
import { DetectQueue } from "./queue.ts";

export class InlineDetection implements Detection {
  readonly name = "inline";
  readonly bank: DetectorBank;
  private readonly queue: DetectQueue;

  constructor(factory: DetectorFactory, checkpointPath: string, log: Logger, drained: () => void = () => {}) {
    this.bank = new DetectorBank(factory, checkpointPath, log);
    this.queue = new DetectQueue(64, drained);
  }

  get pending(): number {
    return this.queue.pending;
  }

  get series(): number {
    return this.bank.size;
  }

  start(): Promise<number> {
    return this.bank.load();
  }

  score(b: ScoreBatch): Promise<Float64Array> {
    const out = new Float64Array(b.values.length);
    return new Promise((resolve) => {
      this.queue.push({
        n: out.length,
        score: (i) => {
          out[i] = this.bank.score(b.device, b.sensors[i]!, b.t[i]!, b.values[i]!);
        },
        done: () => resolve(out),
      });
    });
  }

  checkpoint(): Promise<void> {
    return this.bank.checkpoint();
  }

  async stop(): Promise<void> {
    this.queue.flush();
    await this.bank.checkpoint();
  }
}
