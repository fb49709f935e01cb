/**
 * Broker benchmark, side by side in one run: Fieldline's broker, plain Aedes 1.2.0 and
 * Debian's mosquitto, each alone on the machine in turn, load generators in their own
 * processes. Prints a table and writes bench/results/broker.json.
 *
 *   npx tsx bench/broker/run.ts [--seconds 8] [--idle 10000] [--publishers 20] [--rate 2000]
 */
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir, cpus } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { topicFilter, topics } from "@fieldline/firmware-contracts";
import { FileRegistryStore } from "../../broker/src/registry/file-store.ts";
import { Registry } from "../../broker/src/registry/registry.ts";
import { load } from "./load-process.ts";
import { cpuMs, rssBytes } from "./proc.ts";
import { running, startFieldline, startMosquitto, startPlainAedes, type Account, type Target } from "./targets.ts";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "8" },
    idle: { type: "string", default: "10000" },
    publishers: { type: "string", default: "20" },
    rate: { type: "string", default: "2000" },
    pairs: { type: "string", default: "10" },
    payload: { type: "string", default: "256" },
    only: { type: "string" },
  },
});
const SECONDS = Number(values.seconds);
const IDLE = Number(values.idle);
const PUBLISHERS = Number(values.publishers);
const RATE = Number(values.rate);
const PAIRS = Math.min(Number(values.pairs), Number(values.publishers));
const PAYLOAD = Number(values.payload);
const WARMUP_MS = 1500;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
interface Result {
  broker: string;
  throughput: { deliveredPerSec: number; cpuUsPerMsg: number; brokerCpuPct: number; publishedPerSec: number };
  pairs: { pairs: number; deliveredPerSec: number; deliveredPerCpuSec: number; brokerCpuPct: number };
  latency: { rate: number; p50Ms: number; p99Ms: number; brokerCpuPct: number; deliveredPerSec: number };
  idle: { connections: number; rssBeforeMb: number; rssAfterMb: number; kbPerConnection: number };
}

async function measure(start: () => Promise<Target>, devices: (Account & { topic: string })[], processor: Account, idleAcct: Account): Promise<Result> {
  const sub = () => load({ role: "subscriber", port: t.port, ...processor, filters: [topicFilter("telemetry")] });

  let t = await start();
  process.stderr.write(`measuring ${t.name} (pid ${t.pid}, port ${t.port})\n`);
  // 1. delivered rate: N QoS 1 publishers flat out (50 unacknowledged each) into one wildcard subscriber
  let s = sub();
  await s.ready;
  let p = load({ role: "publishers", port: t.port, devices, window: 50, payloadBytes: PAYLOAD });
  await p.ready;
  await sleep(WARMUP_MS);
  let c0 = cpuMs(t.pid);
  let r0 = await s.report();
  const p0 = await p.report();
  let t0 = performance.now();
  await sleep(SECONDS * 1000);
  let c1 = cpuMs(t.pid);
  let r1 = await s.report();
  const p1 = await p.report();
  let dt = performance.now() - t0;
  const delivered = r1.count! - r0.count!;
  const throughput = {
    deliveredPerSec: (delivered / dt) * 1000,
    publishedPerSec: ((p1.acked! - p0.acked!) / dt) * 1000,
    cpuUsPerMsg: ((c1 - c0) * 1000) / delivered,
    brokerCpuPct: ((c1 - c0) / dt) * 100,
  };
  await p.stop();
  await s.stop();
  await sleep(500);

  // 1b. PAIRS publisher/subscriber pairs: each device's telemetry to its own subscriber
  const pairDevices = devices.slice(0, PAIRS);
  s = load({ role: "subscriber", port: t.port, ...processor, filters: pairDevices.map((d) => d.topic) });
  await s.ready;
  p = load({ role: "publishers", port: t.port, devices: pairDevices, window: 50, payloadBytes: PAYLOAD });
  await p.ready;
  await sleep(WARMUP_MS);
  c0 = cpuMs(t.pid);
  r0 = await s.report();
  t0 = performance.now();
  await sleep(SECONDS * 1000);
  c1 = cpuMs(t.pid);
  r1 = await s.report();
  dt = performance.now() - t0;
  const pairsDelivered = r1.count! - r0.count!;
  const pairs = {
    pairs: PAIRS,
    deliveredPerSec: (pairsDelivered / dt) * 1000,
    deliveredPerCpuSec: (pairsDelivered / (c1 - c0)) * 1000,
    brokerCpuPct: ((c1 - c0) / dt) * 100,
  };
  await p.stop();
  await s.stop();
  await sleep(500);

  // 2. latency at a fixed total rate
  s = sub();
  await s.ready;
  p = load({ role: "publishers", port: t.port, devices, rate: RATE, payloadBytes: PAYLOAD });
  await p.ready;
  await sleep(WARMUP_MS);
  s.child.send("mark");
  c0 = cpuMs(t.pid);
  r0 = await s.report();
  t0 = performance.now();
  await sleep(SECONDS * 1000);
  c1 = cpuMs(t.pid);
  r1 = await s.report();
  dt = performance.now() - t0;
  const latency = {
    rate: RATE,
    p50Ms: r1.p50!,
    p99Ms: r1.p99!,
    brokerCpuPct: ((c1 - c0) / dt) * 100,
    deliveredPerSec: ((r1.count! - r0.count!) / dt) * 1000,
  };
  await p.stop();
  await s.stop();

  // 3. RSS per idle connection, on a fresh broker process (after the floods above, freed
  //    memory would be reused and hide the cost)
  await t.stop();
  t = await start();
  await sleep(1500);
  const before = rssBytes(t.pid);
  const idle = load({ role: "idle", port: t.port, ...idleAcct, count: IDLE });
  const ready = await idle.ready;
  await sleep(3000);
  const after = rssBytes(t.pid);
  await idle.stop();
  await t.stop();
  return {
    broker: t.name,
    throughput,
    pairs,
    latency,
    idle: {
      connections: ready.opened!,
      rssBeforeMb: before / 1e6,
      rssAfterMb: after / 1e6,
      kbPerConnection: (after - before) / 1024 / ready.opened!,
    },
  };
}

const dir = await mkdtemp(join(tmpdir(), "fl-bench-broker-"));
try {
  const registryFile = join(dir, "registry.json");
  const registry = new Registry(new FileRegistryStore(registryFile));
  await registry.load();
  const devices: (Account & { topic: string })[] = [];
  for (let i = 0; i < PUBLISHERS; i++) {
    const addr = { site: "bench", device: `dev-${i}` };
    const { secret } = await registry.add({ username: addr.device, role: "device", ...addr });
    devices.push({ username: addr.device, secret, topic: topics.telemetry(addr) });
  }
  const processor = { username: "processor", secret: (await registry.add({ username: "processor", role: "processor" })).secret };
  const idleAcct = { username: "idle", secret: (await registry.add({ username: "idle", role: "operator" })).secret };
  const devicePattern = topicFilter("telemetry", { site: "bench", device: "USERNAME" }).replace("USERNAME", "%u");

  const starters: Record<string, () => Promise<Target>> = {
    fieldline: () => startFieldline(registryFile),
    "aedes-plain": () => startPlainAedes(),
    mosquitto: () => startMosquitto(dir, [...devices, processor, idleAcct], topicFilter("telemetry"), devicePattern),
    // mosquitto's default max_inflight_messages (20) paces one subscriber by its PUBACK round trips
    "mosquitto-inflight-unlimited": () =>
      startMosquitto(dir, [...devices, processor, idleAcct], topicFilter("telemetry"), devicePattern, {
        name: "mosquitto-inflight-unlimited",
        maxInflight: 0,
      }),
  };
  const results: Result[] = [];
  for (const [name, start] of Object.entries(starters)) {
    if (values.only && !values.only.split(",").includes(name)) continue;
    results.push(await measure(start, devices, processor, idleAcct));
  }

  const mosq = results.find((r) => r.broker === "mosquitto");
  const ratio = (a: number, b: number | undefined) => (b ? +(a / b).toFixed(2) : null);
  const out = {
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
    params: { seconds: SECONDS, publishers: PUBLISHERS, pairs: PAIRS, qos: 1, payloadBytes: PAYLOAD, fixedRate: RATE, idleConnections: IDLE },
    results,
    vsMosquitto: results.map((r) => ({
      broker: r.broker,
      deliveredRate: ratio(r.throughput.deliveredPerSec, mosq?.throughput.deliveredPerSec),
      cpuPerMessage: ratio(r.throughput.cpuUsPerMsg, mosq?.throughput.cpuUsPerMsg),
      pairsPerBrokerCore: ratio(r.pairs.deliveredPerCpuSec, mosq?.pairs.deliveredPerCpuSec),
      p99AtFixedRate: ratio(r.latency.p99Ms, mosq?.latency.p99Ms),
      cpuAtFixedRate: ratio(r.latency.brokerCpuPct, mosq?.latency.brokerCpuPct),
      rssPerIdleConnection: ratio(r.idle.kbPerConnection, mosq?.idle.kbPerConnection),
    })),
  };
  const resultsDir = fileURLToPath(new URL("../results/", import.meta.url));
  await mkdir(resultsDir, { recursive: true });
  await writeFile(join(resultsDir, "broker.json"), JSON.stringify(out, null, 2) + "\n");
  process.stdout.write(JSON.stringify(out) + "\n\n");

  const f = (n: number, d = 0) => (Number.isFinite(n) ? n.toFixed(d) : "-");
  const rows = [
    ["broker", "published/s", "delivered/s", "CPU µs/msg", "CPU %", `${PAIRS} pairs/s`, "per CPU-s", `p50 ms @${RATE}/s`, "p99 ms", "CPU % @rate", "KB/idle conn"],
    ...results.map((r) => [
      r.broker,
      f(r.throughput.publishedPerSec),
      f(r.throughput.deliveredPerSec),
      f(r.throughput.cpuUsPerMsg, 1),
      f(r.throughput.brokerCpuPct),
      f(r.pairs.deliveredPerSec),
      f(r.pairs.deliveredPerCpuSec),
      f(r.latency.p50Ms, 2),
      f(r.latency.p99Ms, 2),
      f(r.latency.brokerCpuPct, 1),
      f(r.idle.kbPerConnection, 2),
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) process.stdout.write(r.map((c, i) => c.padStart(widths[i]!)).join("  ") + "\n");
  process.stdout.write("\nratio to mosquitto:\n");
  for (const v of out.vsMosquitto) process.stdout.write(`  ${JSON.stringify(v)}\n`);
} finally {
  for (const stop of [...running]) await stop();
  await rm(dir, { recursive: true, force: true });
}
