/**
 * Detection in a worker thread. Messages are answered in the order sent, so scores come
 * back in arrival order and the sink still sees messages in order. The worker runs the
 * default detector (a factory cannot cross threads; a custom one uses InlineDetection).
 *
 * Requests made in the same turn of the event loop cross in one postMessage (an array),
 * and the worker answers everything it scored in one turn the same way: each postMessage
 * wakes the other thread and takes a lock, which cost more than the cloning when a burst
 * of messages went one by one.
 */
import { Worker } from "node:worker_threads";
import type { Detection, ScoreBatch } from "./detection.ts";

/**
 * A batch as it crosses to the worker: each reading's sensor as an index into the message's
 * distinct sensor names (a message holds a few sensors many times; cloning one short array
 * and a transferred Uint16Array costs far less than cloning a string per reading).
 */
export interface WireBatch {
  device: string;
  names: string[];
  sensor: Uint16Array;
  t: Float64Array;
  values: Float64Array;
}

export type Request =
  | ({ op: "score"; id: number } & WireBatch)
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
  private outbox: Request[] = [];
  private transfer: ArrayBuffer[] = [];
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
    w.on("message", (batch: Response[]) => {
      for (const res of batch) {
        const waiter = this.waiting.get(res.id);
        if (!waiter) continue;
        this.waiting.delete(res.id);
        this.series = res.series;
        this.inflight -= waiter.n;
        if (res.op === "error") waiter.reject(new Error(`detection worker: ${res.message}`));
        else waiter.resolve(res);
      }
      // After the answers' continuations have run: by then their points are in the writer's
      // buffer, so whoever checks for room counts them there instead of nowhere.
      setImmediate(this.drained);
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
      if (this.outbox.length === 0) queueMicrotask(() => this.flush());
      this.outbox.push(req);
      for (const b of transfer) this.transfer.push(b);
    });
  }

  /** Sends the requests of this turn in one message. */
  private flush(): void {
    const batch = this.outbox;
    const transfer = this.transfer;
    this.outbox = [];
    this.transfer = [];
    if (batch.length === 0) return;
    if (!this.worker) return this.failAll(new Error("detection worker stopped"));
    this.worker.postMessage(batch, transfer);
  }

  async score(b: ScoreBatch): Promise<Float64Array> {
    const { names, sensor } = toWire(b.sensors);
    const req: Request = { op: "score", id: 0, device: b.device, names, sensor, t: b.t, values: b.values };
    const res = await this.request(req, b.values.length, [sensor.buffer as ArrayBuffer, b.t.buffer as ArrayBuffer, b.values.buffer as ArrayBuffer]);
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

/** Sensor names as distinct names plus an index per reading (see WireBatch). */
export function toWire(sensors: readonly string[]): { names: string[]; sensor: Uint16Array } {
  const names: string[] = [];
  const sensor = new Uint16Array(sensors.length);
  // A linear search over the few names of a typical message; a map once there are many.
  let index: Map<string, number> | undefined;
  let last = "";
  let lastIdx = -1;
  for (let i = 0; i < sensors.length; i++) {
    const s = sensors[i]!;
    if (s !== last || lastIdx < 0) {
      last = s;
      lastIdx = index ? (index.get(s) ?? -1) : names.indexOf(s);
      if (lastIdx < 0) {
        if (names.length === 0x10000) throw new Error("a batch with more than 65,536 distinct sensors");
        lastIdx = names.push(s) - 1;
        index?.set(s, lastIdx);
        if (!index && names.length > 16) index = new Map(names.map((n, k) => [n, k]));
      }
    }
    sensor[i] = lastIdx;
  }
  return { names, sensor };
}
