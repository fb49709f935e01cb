// Sustained readings/s through the agent (safety rules -> batcher -> CBOR -> outbox -> MQTT
// QoS 1 -> PUBACK), or the reference: the same CBOR batches published with raw mqtt.js QoS 1
// and no outbox. Run pinned to one core: taskset -c 0 node --import tsx bench/edge/throughput.ts
//   --url mqtt://127.0.0.1:PORT --mode agent|raw [--fsync interval|never|always] [--seconds 5]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { connect } from "mqtt";
import { pino } from "pino";
import { encodePayload, topics, type Reading } from "../../firmware-contracts/src/index.ts";
import { Agent } from "../../edge-agent/src/agent/agent.ts";
import { parseConfig } from "../../edge-agent/src/config/load.ts";
import type { ReadingSource, SourceReading, SourceSink } from "../../edge-agent/src/inputs/source.ts";

const { values } = parseArgs({
  options: {
    url: { type: "string" },
    mode: { type: "string", default: "agent" },
    fsync: { type: "string", default: "interval" },
    seconds: { type: "string", default: "5" },
  },
});
const url = values.url!;
const seconds = Number(values.seconds);
const SENSORS = 10;
const FRAME = 25; // readings per sink call, like one firmware frame
const PER_TICK = 1000;

function frame(i: number, t: number): SourceReading[] {
  const out: SourceReading[] = [];
  for (let k = 0; k < FRAME; k++) out.push({ sensor: `s${(i + k) % SENSORS}`, t, value: Math.sin(i + k) * 10 + 20 });
  return out;
}

async function runAgent(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), "fl-bench-edge-"));
  let sink: SourceSink | undefined;
  const source: ReadingSource = { id: "gen", start: async (s) => void (sink = s), stop: async () => void (sink = undefined) };
  const rulesFile = join(dir, "rules.yaml");
  const { writeFileSync } = await import("node:fs");
  // Ten threshold rules (one per sensor), evaluated on every reading as on a device.
  writeFileSync(
    rulesFile,
    `rules:\n${Array.from({ length: SENSORS }, (_, i) => `  - id: r${i}\n    when: { threshold: { sensor: s${i}, above: 1000 } }\n`).join("")}`,
  );
  const cfg = parseConfig(`
device: { site: bench, id: dev1 }
broker: { url: "${url}", inflight: 64 }
rules: { file: "${rulesFile}" }
telemetry: { maxBatch: 1000, lingerMs: 20 }
dataDir: "${dir}"
outbox: { fsync: ${values.fsync}, maxBytes: 1073741824 }
http: { listen: null }
log: { level: error }
`);
  const agent = new Agent(cfg, { logger: pino({ level: "error" }), sources: [source] });
  await agent.start();
  while (!agent.health().mqtt || agent.health().mqtt !== "up") await new Promise((r) => setTimeout(r, 10));
  let i = 0;
  let running = true;
  const telemetryAcked = async () => {
    const m = await agent.metrics.publishLatency.get();
    return m.values.find((v) => v.metricName === "fieldline_edge_publish_latency_seconds_count" && v.labels.kind === "telemetry")?.value ?? 0;
  };
  const gen = () => {
    if (!running) return;
    // Backpressure: keep at most ~200 messages unacknowledged so we measure what MQTT takes.
    if (agent.outbox.stats().depth < 200) {
      const t = Date.now();
      for (let k = 0; k < PER_TICK / FRAME; k++) sink!.readings(frame((i += FRAME), t));
    }
    setImmediate(gen);
  };
  gen();
  await new Promise((r) => setTimeout(r, 1000)); // warm-up
  const a0 = await telemetryAcked();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let rssPeak = 0;
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 100);
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const a1 = await telemetryAcked();
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  clearInterval(sampler);
  running = false;
  const lat = await agent.metrics.publishLatency.get();
  await agent.stop(10_000);
  rmSync(dir, { recursive: true, force: true });
  return {
    mode: `agent fsync=${values.fsync}`,
    readingsPerSec: ((a1 - a0) * 1000) / elapsed,
    messagesPerSec: (a1 - a0) / elapsed,
    cpuPercent: ((cpu.user + cpu.system) / 1e6 / elapsed) * 100,
    rssPeakMB: rssPeak / 2 ** 20,
    publishLatencyBuckets: lat.values
      .filter((v) => v.labels.kind === "telemetry" && v.metricName?.endsWith("_bucket"))
      .map((v) => [(v.labels as Record<string, unknown>).le, v.value]),
  };
}

async function runRaw(): Promise<Record<string, unknown>> {
  const client = connect(url, { clientId: "bench-raw" });
  await new Promise((r) => client.once("connect", r));
  const topic = topics.telemetry({ site: "bench", device: "raw" });
  let seq = 0;
  let inflight = 0;
  let acked = 0;
  let i = 0;
  let running = true;
  const batch = (): Buffer => {
    const readings: Reading[] = [];
    const t = Date.now();
    for (let k = 0; k < 1000 / FRAME; k++) for (const r of frame((i += FRAME), t)) readings.push(r);
    return Buffer.from(encodePayload("telemetry", { v: 1, device: "raw", boot: "b", seq: seq++, readings }));
  };
  const pump = () => {
    while (running && inflight < 64) {
      inflight++;
      client.publish(topic, batch(), { qos: 1 }, () => {
        inflight--;
        acked++;
        setImmediate(pump);
      });
    }
  };
  pump();
  await new Promise((r) => setTimeout(r, 1000));
  const a0 = acked;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const elapsed = (performance.now() - t0) / 1000;
  const a1 = acked;
  const cpu = process.cpuUsage(cpu0);
  running = false;
  await client.endAsync();
  return {
    mode: "reference: raw mqtt.js QoS 1 (same CBOR batches, no outbox, no rules)",
    readingsPerSec: ((a1 - a0) * 1000) / elapsed,
    messagesPerSec: (a1 - a0) / elapsed,
    cpuPercent: ((cpu.user + cpu.system) / 1e6 / elapsed) * 100,
    rssPeakMB: process.memoryUsage().rss / 2 ** 20,
  };
}

const result = values.mode === "raw" ? await runRaw() : await runAgent();
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
