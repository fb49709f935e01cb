/** The detection worker thread: owns a DetectorBank with the default detector. */
import { parentPort, workerData } from "node:worker_threads";
import { pino } from "pino";
import { defaultDetector } from "../detection/index.ts";
import { DetectorBank } from "./bank.ts";
import type { Request, Response } from "./worker.ts";

const { checkpointPath, logLevel } = workerData as { checkpointPath: string; logLevel: string };
const log = pino({ level: logLevel, base: { component: "cloud-processor", thread: "detection" } });
const bank = new DetectorBank(defaultDetector, checkpointPath, log);
const port = parentPort!;

/** Answers of this turn, sent together (see worker.ts). */
let answers: Response[] = [];
let transfer: ArrayBuffer[] = [];

function answer(res: Response): void {
  if (answers.length === 0) setImmediate(send);
  answers.push(res);
  if (res.op === "score") transfer.push(res.scores.buffer as ArrayBuffer);
}

function send(): void {
  port.postMessage(answers, transfer);
  answers = [];
  transfer = [];
}

port.on("message", (batch: Request[]) => {
  for (const req of batch) {
    void handle(req).then(answer, (err: unknown) => answer({ op: "error", id: req.id, message: (err as Error).message, series: bank.size }));
  }
});

async function handle(req: Request): Promise<Response> {
  switch (req.op) {
    case "score": {
      const scores = new Float64Array(req.values.length);
      // One lookup per distinct sensor of the message, not one per reading.
      const detectors = req.names.map((name) => bank.detector(req.device, name));
      const { sensor, t, values } = req;
      for (let i = 0; i < scores.length; i++) scores[i] = detectors[sensor[i]!]!.score(t[i]!, values[i]!);
      return { op: "score", id: req.id, scores, series: bank.size };
    }
    case "load":
      return { op: "done", id: req.id, n: await bank.load(), series: bank.size };
    case "checkpoint":
      await bank.checkpoint();
      return { op: "done", id: req.id, n: bank.size, series: bank.size };
  }
}
