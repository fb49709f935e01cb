/**
 * Detection in a worker thread. Messages are answered in the order sent, so scores come
 * back in arrival order and the sink still sees messages in order. The worker runs the
 * default detector (a factory cannot cross threads; a custom one uses InlineDetection).
 */
import { Worker } from "node:worker_threads";
import type { Detection, ScoreBatch } from "./detection.ts";

export type Request =
  | ({ op: "score"; id: number } & ScoreBatch)
  | { op: "load"; id: number }
  | { op: "checkpoint"; id: number };

export type Response =
  | { op: "score"; id: number; scores: Float64Array; series: number }
  | { op: "done"; id: number; n: number; series: number }
  | { op: "error"; id: number; message: string; series: number };

interface Waiter {
  resolve(r: Response): void;
  reject(e: Error): void;
  n: number;
}

export class WorkerDetection implements Detection {
  readonly name = "worker";
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly waiting = new Map<number, Waiter>();
  private inflight = 0;
  series = 0;

  constructor(
    private readonly checkpointPath: string,
    private readonly logLevel: string,
    private readonly drained: () => void = () => {},
  ) {}

  get pending(): number {
    return this.inflight;
  }

  async start(): Promise<number> {
    const w = new Worker(new URL("./worker-boot.mjs", import.meta.url), {
      workerData: { checkpointPath: this.checkpointPath, logLevel: this.logLevel },
    });
    this.worker = w;
    w.on("message", (res: Response) => {
      const waiter = this.waiting.get(res.id);
      if (!waiter) return;
      this.waiting.delete(res.id);
      this.series = res.series;
      this.inflight -= waiter.n;
      if (res.op === "error") waiter.reject(new Error(`detection worker: ${res.message}`));
      else waiter.resolve(res);
      this.drained();
    });
    w.on("error", (err) => this.failAll(err));
    w.on("exit", (code) => this.failAll(new Error(`detection worker exited with ${code}`)));
    const res = await this.request({ op: "load", id: 0 }, 0);
    return res.op === "done" ? res.n : 0;
  }

  private failAll(err: Error): void {
    for (const w of this.waiting.values()) w.reject(err);
    this.waiting.clear();
    this.inflight = 0;
  }

  private request(req: Request, n: number, transfer: ArrayBuffer[] = []): Promise<Response> {
    const w = this.worker;
    if (!w) return Promise.reject(new Error("detection worker is not started"));
    const id = this.nextId++;
    req.id = id;
    this.inflight += n;
    return new Promise<Response>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject, n });
      w.postMessage(req, transfer);
    });
  }

  async score(b: ScoreBatch): Promise<Float64Array> {
    const res = await this.request({ op: "score", id: 0, ...b }, b.values.length, [b.t.buffer as ArrayBuffer, b.values.buffer as ArrayBuffer]);
    if (res.op !== "score") throw new Error("detection worker: unexpected answer");
    return res.scores;
  }

  async checkpoint(): Promise<void> {
    await this.request({ op: "checkpoint", id: 0 }, 0);
  }

  async stop(): Promise<void> {
    const w = this.worker;
    if (!w) return;
    try {
      await this.checkpoint();
    } finally {
      this.worker = undefined;
      w.removeAllListeners("exit");
      await w.terminate();
      this.failAll(new Error("detection worker stopped"));
    }
  }
}
