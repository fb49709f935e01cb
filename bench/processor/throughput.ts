/**
 * Readings per second on one core through decode, validate, dedupe, detect and sink, in one
 * process (no network): the Pipeline fed pre-encoded CBOR telemetry, points going through
 * the SinkWriter into the file sink (fsync per batch). Stages are measured cumulatively so
 * the cost of each shows.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodePayload, encodePayload, topics, type Telemetry } from "@fieldline/firmware-contracts";
import { pino } from "pino";
import { AnomalyAlerts } from "../../cloud-processor/src/alerts/anomaly.ts";
import { ALERT_THRESHOLD, defaultDetector, type DetectorFactory } from "../../cloud-processor/src/detection/index.ts";
import type { Detection } from "../../cloud-processor/src/detectors/detection.ts";
import { InlineDetection } from "../../cloud-processor/src/detectors/inline.ts";
import { WorkerDetection } from "../../cloud-processor/src/detectors/worker.ts";
import { parseConfig } from "../../cloud-processor/src/config.ts";
import { DeadLetterStore } from "../../cloud-processor/src/ingest/dead-letter.ts";
import { Deduper } from "../../cloud-processor/src/ingest/dedupe.ts";
import { Metrics } from "../../cloud-processor/src/metrics.ts";
import { Pipeline } from "../../cloud-processor/src/pipeline.ts";
import { FileSink } from "../../cloud-processor/src/sinks/file.ts";
import { SinkWriter } from "../../cloud-processor/src/sinks/writer.ts";

export interface Message {
  topic: string;
  payload: Uint8Array;
}

/** `devices` devices x `perDevice` messages of `readings` readings (4 sensors), interleaved. */
export function makeMessages(devices: number, perDevice: number, readings: number): Message[] {
  const out: Message[] = [];
  for (let seq = 0; seq < perDevice; seq++) {
    for (let d = 0; d < devices; d++) {
      const device = `dev-${d}`;
      const msg: Telemetry = {
        v: 1,
        device,
        boot: "b0",
        seq,
        readings: Array.from({ length: readings }, (_, i) => {
          const k = seq * readings + i;
          return { sensor: `s${i % 4}`, t: 1_700_000_000_000 + k * 1000, value: 20 + 5 * Math.sin(k / 40) + (k % 7) * 0.01 };
        }),
      };
      out.push({ topic: topics.telemetry({ site: "bench", device }), payload: encodePayload("telemetry", msg) });
    }
  }
  return out;
}

export interface StageResult {
  stage: string;
  readings: number;
  /** Wall time. */
  seconds: number;
  readingsPerSec: number;
  /** Process CPU time (user + system), and readings per CPU second: "per core". */
  cpuSeconds: number;
  readingsPerCpuSec: number;
}

function measure<T>(fn: () => T): { value: T; seconds: number; cpuSeconds: number } {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = fn();
  const c = process.cpuUsage(c0);
  return { value, seconds: (performance.now() - t0) / 1000, cpuSeconds: (c.user + c.system) / 1e6 };
}

async function measureAsync(fn: () => Promise<void>): Promise<{ seconds: number; cpuSeconds: number }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await fn();
  const c = process.cpuUsage(c0);
  return { seconds: (performance.now() - t0) / 1000, cpuSeconds: (c.user + c.system) / 1e6 };
}

function result(stage: string, readings: number, m: { seconds: number; cpuSeconds: number }): StageResult {
  return { stage, readings, seconds: m.seconds, readingsPerSec: readings / m.seconds, cpuSeconds: m.cpuSeconds, readingsPerCpuSec: readings / m.cpuSeconds };
}

const log = pino({ level: "silent" });

/** The processor's default bound on messages handled and not yet acknowledged (mqtt.maxInflight). */
const MAX_INFLIGHT = parseConfig({}).mqtt.maxInflight;

/** Where detection runs: on the event loop in slices, or in the processor's worker thread. */
type DetectMode = { kind: "inline"; factory: DetectorFactory } | { kind: "worker" };

async function runPipeline(msgs: Message[], readingsPerMsg: number, detect: DetectMode | undefined, stage: string, inflight: number): Promise<StageResult> {
  const dir = await mkdtemp(join(tmpdir(), "fl-bench-"));
  const writer = new SinkWriter(new FileSink({ path: join(dir, "points.lp"), fsync: true }), { maxBatchPoints: 20_000, maxBufferedPoints: 1e9, retryInitialMs: 10, retryMaxMs: 100 }, log);
  const dead = new DeadLetterStore(join(dir, "dead.jsonl"));
  await writer.start();
  await dead.start();
  const detPath = join(dir, "det.json");
  const detection: Detection | undefined =
    detect?.kind === "inline" ? new InlineDetection(detect.factory, detPath, log) : detect?.kind === "worker" ? new WorkerDetection(detPath, "silent") : undefined;
  // Started outside the measurement (a worker thread's start-up is not per-reading cost).
  await detection?.start();
  const p = new Pipeline({
    dedupe: new Deduper(),
    deadLetters: dead,
    write: (pts) => writer.enqueue(pts),
    metrics: new Metrics({ defaults: false }),
    log,
    detection,
    anomalies: detection ? new AnomalyAlerts(ALERT_THRESHOLD, 60_000) : undefined,
    alert: () => {},
  });
  // Fed as the MQTT session feeds it: at most `inflight` messages handled and not yet
  // acknowledged (the processor's mqtt.maxInflight), the next one as soon as one completes.
  const m = await measureAsync(
    () =>
      new Promise<void>((resolve, reject) => {
        let next = 0;
        let done = 0;
        const feed = (): void => {
          const msg = msgs[next++]!;
          p.handle(msg.topic, msg.payload).then(() => {
            if (++done === msgs.length) resolve();
            else if (next < msgs.length) feed();
          }, reject);
        };
        while (next < Math.min(inflight, msgs.length)) feed();
      }),
  );
  await detection?.stop();
  await writer.stop();
  await dead.stop();
  await rm(dir, { recursive: true, force: true });
  return result(stage, msgs.length * readingsPerMsg, m);
}

export async function throughput(opts: { devices: number; perDevice: number; readings: number; inflight?: number }): Promise<StageResult[]> {
  const inflight = opts.inflight ?? MAX_INFLIGHT;
  const msgs = makeMessages(opts.devices, opts.perDevice, opts.readings);
  const n = msgs.length * opts.readings;
  const results: StageResult[] = [];
  // Warm-up: JIT the decode path.
  for (const m of msgs.slice(0, 200)) decodePayload("telemetry", m.payload);
  results.push(result("decode + validate", n, measure(() => msgs.forEach((m) => decodePayload("telemetry", m.payload)))));
  const dd = new Deduper();
  const dedupe = measure(() => {
    for (const m of msgs) {
      const r = decodePayload("telemetry", m.payload);
      if (r.ok) dd.check(r.value.device, r.value.boot, r.value.seq);
    }
  });
  results.push(result("decode + validate + dedupe", n, dedupe));
  results.push(await runPipeline(msgs, opts.readings, undefined, "decode + validate + dedupe + file sink (fsync)", inflight));
  results.push(await runPipeline(msgs, opts.readings, { kind: "inline", factory: defaultDetector }, `... + detect (${defaultDetector.name})`, inflight));
  // CPU of both threads (process.cpuUsage counts the worker's too).
  results.push(await runPipeline(msgs, opts.readings, { kind: "worker" }, `... + detect in the worker thread`, inflight));
  return results;
}
