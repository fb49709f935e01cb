/**
 * Simulator throughput over MQTT, side by side with a reference: the same number of devices
 * (one connection each) publishing the same CBOR payloads with plain mqtt.js and the same
 * in-flight window. Both against one Debian mosquitto on a random loopback port, so the
 * broker is not what is measured. Each case runs in its own process (clean memory figures).
 *
 *   npx tsx bench/simulator/fleet.ts [--devices 1000] [--hours 2]
 *
 * Prints a table and writes JSON to bench/results/simulator-fleet.json.
 */
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import mqtt from "mqtt";
import { MemoryTransport, MqttTransport, MemoryTruth, JsonlTruth, parseSpec, simulate } from "@fieldline/simulator";
import { mqttTransport } from "../../simulator/src/spec/transports";

const { values: args } = parseArgs({
  options: { devices: { type: "string", default: "1000" }, hours: { type: "string", default: "2" }, case: { type: "string" }, url: { type: "string" } },
});
const DEVICES = Number(args.devices);
const HOURS = Number(args.hours);
const INFLIGHT = 5000;

const spec = () =>
  parseSpec(`
seed: 1
start: 2026-01-01T00:00:00Z
duration: ${HOURS}h
batch: { maxReadings: 100, every: 5m }
profiles:
  meter:
    sensors:
      power: { interval: 1m, source: { type: sum, of: [ { type: sine, mean: 4, amplitude: 2, randomPhase: true }, { type: noise, sigma: 0.1 } ] } }
      volts: { interval: 1m, round: 1, source: { type: randomWalk, start: 230, step: 0.3 } }
devices:
  - { profile: meter, prefix: m-, count: ${DEVICES}, site: bench }
`);

function pct(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

interface CaseResult {
  case: string;
  messages: number;
  readings: number;
  wallMs: number;
  messagesPerSec: number;
  readingsPerSec: number;
  ackP50: number;
  ackP95: number;
  ackP99: number;
  rssMB: number;
  heapMB: number;
}

function finish(name: string, messages: number, readings: number, wallMs: number, lat: number[]): CaseResult {
  const m = process.memoryUsage();
  return {
    case: name,
    messages,
    readings,
    wallMs: Math.round(wallMs),
    messagesPerSec: Math.round((messages / wallMs) * 1000),
    readingsPerSec: Math.round((readings / wallMs) * 1000),
    ackP50: +pct(lat, 50).toFixed(2),
    ackP95: +pct(lat, 95).toFixed(2),
    ackP99: +pct(lat, 99).toFixed(2),
    rssMB: Math.round(m.rss / 2 ** 20),
    heapMB: Math.round(m.heapUsed / 2 ** 20),
  };
}

/** The simulator as shipped: generation, batching, truth JSONL on disk, one MQTT client per device. */
async function ours(url: string): Promise<CaseResult> {
  const lat: number[] = [];
  const dir = mkdtempSync(join(tmpdir(), "fl-bench-sim-"));
  const transport = new MqttTransport(mqttTransport.parse({ type: "mqtt", url, state: false, maxInflight: INFLIGHT, connectConcurrency: 100 }), { onAck: (ms) => lat.push(ms) });
  const truth = await new JsonlTruth(join(dir, "truth.jsonl")).open();
  const s = await simulate(spec(), { transport, truth });
  rmSync(dir, { recursive: true, force: true });
  // Wall time of the run proper (connections excluded, as in the reference).
  return finish("simulator", s.messagesSent, s.readingsSent, s.wallMs, lat);
}

/** Plain mqtt.js: the same payloads, pre-encoded, the same connections and in-flight window. */
async function reference(url: string): Promise<CaseResult> {
  const mem = new MemoryTransport();
  await simulate(spec(), { transport: mem, truth: new MemoryTruth() });
  const msgs = mem.messages;
  const readings = (await simulate(spec(), { transport: new MemoryTransport({ keep: false }) })).readingsSent;
  const clients = new Map<string, mqtt.MqttClient>();
  const ids = [...new Set(msgs.map((m) => m.topic.split("/")[3]!))];
  for (let i = 0; i < ids.length; i += 100) {
    await Promise.all(ids.slice(i, i + 100).map(async (id) => clients.set(id, await mqtt.connectAsync(url, { clientId: id, clean: true }))));
  }
  const lat: number[] = [];
  let inflight = 0;
  let wake: (() => void) | undefined;
  const t0 = performance.now();
  for (const m of msgs) {
    while (inflight >= INFLIGHT) await new Promise<void>((r) => (wake = r));
    inflight++;
    const sent = performance.now();
    clients.get(m.topic.split("/")[3]!)!.publish(m.topic, Buffer.from(m.payload), { qos: 1 }, () => {
      lat.push(performance.now() - sent);
      inflight--;
      wake?.();
      wake = undefined;
    });
  }
  while (inflight > 0) await new Promise<void>((r) => (wake = r));
  const wall = performance.now() - t0;
  await Promise.all([...clients.values()].map((c) => c.endAsync()));
  return finish("plain mqtt.js", msgs.length, readings, wall, lat);
}

/** Generation alone (no network, no truth): the ceiling the transports work under. */
async function engine(): Promise<CaseResult> {
  const s = await simulate(spec(), { transport: new MemoryTransport({ keep: false }) });
  return finish("engine only (no I/O)", s.messagesSent, s.readingsSent, s.wallMs, []);
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const port = (srv.address() as AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

async function driver(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "fl-bench-mosq-"));
  const port = await freePort();
  writeFileSync(join(dir, "m.conf"), `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\nmax_inflight_messages 0\nmax_queued_messages 0\n`);
  const broker = spawn("mosquitto", ["-c", join(dir, "m.conf")], { stdio: "ignore" });
  await new Promise((r) => setTimeout(r, 300));
  const url = `mqtt://127.0.0.1:${port}`;
  const results: CaseResult[] = [];
  try {
    for (const c of ["engine", "simulator", "reference"]) {
      const out = execFileSync(process.execPath, ["--import", "tsx", import.meta.filename, "--case", c, "--url", url, "--devices", String(DEVICES), "--hours", String(HOURS)], { encoding: "utf8", maxBuffer: 1 << 24 });
      results.push(JSON.parse(out.trim().split("\n").pop()!) as CaseResult);
    }
  } finally {
    broker.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  }
  const [eng, sim, ref] = results as [CaseResult, CaseResult, CaseResult];
  const report = {
    bench: "simulator-fleet",
    date: new Date().toISOString(),
    devices: DEVICES,
    eventHours: HOURS,
    broker: "mosquitto (Debian)",
    results,
    ratios: { messagesPerSecVsReference: +(sim.messagesPerSec / ref.messagesPerSec).toFixed(3), rssVsReference: +(sim.rssMB / ref.rssMB).toFixed(3) },
  };
  const table = [
    "case                    msgs    readings  wall ms   msgs/s  readings/s  ack p50/p95/p99 ms    rss MB",
    ...results.map(
      (r) =>
        `${r.case.padEnd(22)} ${String(r.messages).padStart(6)} ${String(r.readings).padStart(10)} ${String(r.wallMs).padStart(8)} ${String(r.messagesPerSec).padStart(8)} ${String(r.readingsPerSec).padStart(11)}  ${`${r.ackP50}/${r.ackP95}/${r.ackP99}`.padEnd(20)} ${String(r.rssMB).padStart(6)}`,
    ),
    `simulator / plain mqtt.js: ${report.ratios.messagesPerSecVsReference}x messages/s, ${report.ratios.rssVsReference}x memory`,
    `engine only: ${eng.readingsPerSec} readings/s`,
  ].join("\n");
  console.log(table);
  console.log(JSON.stringify(report));
  const resultsDir = resolve(import.meta.dirname, "../results");
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(join(resultsDir, "simulator-fleet.json"), JSON.stringify(report, null, 2) + "\n");
}

const cases: Record<string, () => Promise<CaseResult>> = { simulator: () => ours(args.url!), reference: () => reference(args.url!), engine };
if (args.case) {
  const r = await cases[args.case]!();
  console.log(JSON.stringify(r));
  process.exit(0);
} else {
  await driver();
}
