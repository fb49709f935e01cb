/**
 * Processor benchmark, all in one run:
 *  1. readings/s per core through decode, validate, dedupe, detect and sink (in process);
 *  2. publish-to-alert latency at 10,000 readings/s (processor as its own process, Aedes,
 *     influxd 1.6);
 *  3. side by side with a Node-RED 4 flow doing the same job (mqtt in, decode, InfluxDB out):
 *     a burst published as fast as QoS 1 allows, timed until every point is in influxd.
 *   npx tsx bench/processor/run.ts [--quick]
 * Writes bench/results/processor.json and prints a table.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { cpus, loadavg, setPriority, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { decodePayload, encodePayload, topicFilter, topics, type Telemetry } from "@fieldline/firmware-contracts";
import mqtt, { type MqttClient } from "mqtt";
import { freePort, influxQuery, startBroker, startInfluxV1 } from "../../cloud-processor/test/helpers/servers.ts";
import { deployFlow, served, startNodeRed } from "./nodered.ts";
import { throughput } from "./throughput.ts";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");
const quick = process.argv.includes("--quick");
/** `--priority N`: run the bench process and the processor at nice N (e.g. -10 on a shared machine). */
const pi = process.argv.indexOf("--priority");
const priority = pi >= 0 ? Number(process.argv[pi + 1]) : undefined;
if (priority !== undefined) setPriority(priority);

function procStat(pid: number): { cpuSeconds: number; rssMB: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(f[11]) + Number(f[12]);
  const rss = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return { cpuSeconds: ticks / 100, rssMB: Number(rss?.[1] ?? 0) / 1024 };
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function startProcessor(opts: { site: string; db: string; influx: string; brokerUrl: string; detection: boolean; rulesFile?: string }) {
  const dir = await mkdtemp(join(tmpdir(), "fl-bench-proc-"));
  const port = await freePort();
  const cfg = [
    `dataDir: ${dir}`,
    "mqtt:",
    `  url: ${opts.brokerUrl}`,
    `  clientId: bench-${opts.site}`,
    `  site: ${opts.site}`,
    "sink:",
    "  type: influxdb-v1",
    `  url: ${opts.influx}`,
    `  database: ${opts.db}`,
    "detection:",
    `  enabled: ${opts.detection}`,
    "  checkpointIntervalMs: 0",
    "alerts:",
    "  clearHoldMs: 0",
    "  tickMs: 100",
    "http:",
    `  port: ${port}`,
    "  auth: none",
    "log:",
    "  level: warn",
    ...(opts.rulesFile ? ["rules:", `  file: ${opts.rulesFile}`] : []),
  ].join("\n");
  await writeFile(join(dir, "processor.yaml"), cfg);
  const prof = process.env.BENCH_PROF_DIR ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_PROF_DIR}`] : [];
  const proc: ChildProcess = spawn(process.execPath, [...prof, "--import", "tsx", join(root, "cloud-processor/src/cli.ts"), "run", "--config", join(dir, "processor.yaml")], {
    cwd: root,
    stdio: ["ignore", "ignore", "inherit"],
  });
  if (priority !== undefined) setPriority(proc.pid!, priority);
  return served(proc, `http://127.0.0.1:${port}`, "/healthz", dir);
}

function message(site: string, device: string, seq: number, readings: number, t0: number, pressure?: number): { topic: string; payload: Buffer } {
  const msg: Telemetry = {
    v: 1,
    device,
    boot: "bench",
    seq,
    readings: Array.from({ length: readings }, (_, i) => ({
      sensor: i === readings - 1 && pressure !== undefined ? "pressure" : `s${i % 4}`,
      t: t0 + i,
      value: i === readings - 1 && pressure !== undefined ? pressure : 20 + 5 * Math.sin((seq * readings + i) / 40),
    })),
  };
  return { topic: topics.telemetry({ site, device }), payload: Buffer.from(encodePayload("telemetry", msg)) };
}

async function count(influx: string, db: string): Promise<number> {
  const rows = await influxQuery(influx, db, "SELECT count(value) FROM telemetry WHERE device =~ /^b-/");
  return Number(rows[0]?.[1] ?? 0);
}

/** Publish-to-alert latency at `rate` readings/s: a rule fires on every `every`-th message per device. */
async function latency(pub: MqttClient, sub: MqttClient, site: string, seconds: number) {
  const readings = 100;
  const devices = 10;
  const msgsPerSec = 10_000 / readings;
  const sent = new Map<string, number>();
  const lat: number[] = [];
  sub.on("message", (topic, payload) => {
    if (!topic.includes(`/${site}/`) || payload.length === 0) return;
    const a = decodePayload("alerts", payload);
    if (!a.ok || a.value.state !== "raised" || a.value.rule !== "high-pressure") return;
    const t = sent.get(`${a.value.device}/${a.value.raisedAt}`);
    if (t !== undefined) lat.push(performance.now() - t);
  });
  await sub.subscribeAsync(topicFilter("alerts", { site }), { qos: 1 });
  const warmup = Math.round(2 * msgsPerSec);
  const total = warmup + Math.round(seconds * msgsPerSec);
  const start = performance.now();
  const seqs = new Array<number>(devices).fill(0);
  // Event times in ms, unique per reading and increasing (InfluxDB rejects times past 2262).
  let base = Date.now() - 24 * 3600_000;
  for (let k = 0; k < total; k++) {
    const due = start + (k * 1000) / msgsPerSec;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const d = k % devices;
    const seq = seqs[d]!++;
    const high = seq % 2 === 0;
    base += readings;
    const m = message(site, `lat-${d}`, seq, readings, base, high ? 100 : 0);
    if (high && k >= warmup) sent.set(`lat-${d}/${base + readings - 1}`, performance.now());
    pub.publish(m.topic, m.payload, { qos: 1 });
  }
  const achieved = (total * readings) / ((performance.now() - start) / 1000);
  if (process.env.BENCH_DEBUG) console.error("latency timeline (ms):", lat.map((x) => Math.round(x)).join(" "));
  await new Promise((r) => setTimeout(r, 1000));
  lat.sort((a, b) => a - b);
  return {
    targetReadingsPerSec: 10_000,
    achievedReadingsPerSec: Math.round(achieved),
    alertsExpected: sent.size,
    alertsSeen: lat.length,
    p50Ms: pct(lat, 50),
    p95Ms: pct(lat, 95),
    p99Ms: pct(lat, 99),
    maxMs: lat[lat.length - 1] ?? NaN,
  };
}

/** Publishes `messages` x `readings` to `site` as fast as QoS 1 allows; times until all are in `db`. */
async function burst(pub: MqttClient, site: string, influx: string, db: string, pid: number, messages: number, readings: number) {
  const want = messages * readings;
  const msgs = Array.from({ length: messages }, (_, k) => message(site, `b-${k % 20}`, Math.floor(k / 20), readings, 1_700_000_000_000 + k * readings));
  const before = procStat(pid);
  const t0 = performance.now();
  const window: Promise<unknown>[] = [];
  for (const m of msgs) {
    window.push(pub.publishAsync(m.topic, m.payload, { qos: 1 }));
    if (window.length >= 200) await Promise.all(window.splice(0));
  }
  await Promise.all(window);
  const published = (performance.now() - t0) / 1000;
  let n = 0;
  const deadline = Date.now() + (quick ? 60_000 : 180_000);
  while ((n = await count(influx, db)) < want && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  const seconds = (performance.now() - t0) / 1000;
  const after = procStat(pid);
  const cpuSeconds = after.cpuSeconds - before.cpuSeconds;
  return {
    readings: want,
    stored: n,
    publishSeconds: published,
    seconds,
    readingsPerSec: Math.round(n / seconds),
    cpuSeconds,
    readingsPerCpuSec: Math.round(n / cpuSeconds),
    rssMB: Math.round(after.rssMB),
  };
}

async function main() {
  if (process.argv.includes("--latency-only")) {
    const broker = await startBroker();
    const influx = await startInfluxV1("full");
    const work = await mkdtemp(join(tmpdir(), "fl-bench-"));
    const rulesFile = join(work, "rules.yaml");
    await writeFile(rulesFile, "rules:\n  - id: high-pressure\n    severity: critical\n    when:\n      threshold: { sensor: pressure, above: 50 }\n");
    const full = await startProcessor({ site: "full", db: "full", influx: influx.url, brokerUrl: broker.url, detection: !process.argv.includes("--no-detect"), rulesFile });
    const pub = await mqtt.connectAsync(broker.url, { clientId: "bench-pub" });
    const sub = await mqtt.connectAsync(broker.url, { clientId: "bench-sub" });
    console.log(await latency(pub, sub, "full", 10));
    const m = await (await fetch(`${full.url}/metrics`)).text();
    console.log(m.split("\n").filter((l) => /eventloop_lag|gc_duration_seconds_(sum|count)|cpu_seconds_total/.test(l) && !l.startsWith("#")).join("\n"));
    await pub.endAsync();
    await sub.endAsync();
    await full.stop();
    await influx.close();
    await broker.close();
    return;
  }
  const out: Record<string, unknown> = {
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model, loadavg: loadavg(), node: process.version, nice: priority ?? 0 },
  };
  console.error("1/3 in-process throughput ...");
  // 20 series of 10,000 readings: detectors reach their steady state (full reference window).
  out.throughput = await throughput(quick ? { devices: 5, perDevice: 100, readings: 100 } : { devices: 5, perDevice: 400, readings: 100 });

  const broker = await startBroker();
  const influx = await startInfluxV1("full");
  for (const db of ["nodetect", "nodered"]) {
    await fetch(`${influx.url}/query?q=${encodeURIComponent(`CREATE DATABASE "${db}"`)}`, { method: "POST" }).then((r) => r.body?.cancel());
  }
  const work = await mkdtemp(join(tmpdir(), "fl-bench-"));
  const rulesFile = join(work, "rules.yaml");
  await writeFile(rulesFile, "rules:\n  - id: high-pressure\n    severity: critical\n    when:\n      threshold: { sensor: pressure, above: 50 }\n");
  const full = await startProcessor({ site: "full", db: "full", influx: influx.url, brokerUrl: broker.url, detection: true, rulesFile });
  const pub = await mqtt.connectAsync(broker.url, { clientId: "bench-pub" });
  const sub = await mqtt.connectAsync(broker.url, { clientId: "bench-sub" });
  try {
    console.error("2/3 publish-to-alert latency at 10,000 readings/s ...");
    out.latency = await latency(pub, sub, "full", quick ? 5 : 20);

    console.error("3/3 side by side with Node-RED ...");
    const messages = quick ? 300 : 1000;
    const readings = 100;
    const nodetect = await startProcessor({ site: "nodet", db: "nodetect", influx: influx.url, brokerUrl: broker.url, detection: false });
    const sideBySide: Record<string, unknown>[] = [];
    sideBySide.push({ name: "fieldline processor (decode, dedupe, rules, InfluxDB v1; ack after write)", ...(await burst(pub, "nodet", influx.url, "nodetect", nodetect.pid, messages, readings)) });
    await nodetect.stop();
    const nrPort = await freePort();
    const nr = await startNodeRed(nrPort);
    try {
      await deployFlow(nr, { brokerPort: broker.port, topic: topicFilter("telemetry", { site: "nr" }), influxUrl: influx.url, db: "nodered" });
      await new Promise((r) => setTimeout(r, 1000));
      sideBySide.push({ name: "Node-RED 4 flow (mqtt in, function decode, http request /write)", ...(await burst(pub, "nr", influx.url, "nodered", nr.pid, messages, readings)) });
    } finally {
      await nr.stop();
    }
    // The same burst through the full processor, with the anomaly detector on every reading.
    sideBySide.push({ name: "fieldline processor + anomaly detector on every reading", ...(await burst(pub, "full", influx.url, "full", full.pid, messages, readings)) });
    out.sideBySide = sideBySide;
  } finally {
    await pub.endAsync();
    await sub.endAsync();
    await full.stop();
    await influx.close();
    await broker.close();
    await rm(work, { recursive: true, force: true });
  }

  (out.machine as Record<string, unknown>).loadavgAtEnd = loadavg();
  await mkdir(join(root, "bench/results"), { recursive: true });
  const name = priority !== undefined ? `processor.nice${priority}.json` : "processor.json";
  await writeFile(join(root, "bench/results", name), JSON.stringify(out, null, 2) + "\n");
  console.log(JSON.stringify(out, null, 2));
  const t = out.throughput as { stage: string; readingsPerSec: number; readingsPerCpuSec: number }[];
  console.log("\nreadings/s (one process)             wall        per CPU-second");
  for (const s of t) console.log(`${s.stage.padEnd(52)} ${String(Math.round(s.readingsPerSec)).padStart(9)} ${String(Math.round(s.readingsPerCpuSec)).padStart(12)}`);
  const l = out.latency as Record<string, number>;
  console.log(`\npublish-to-alert at ${l.achievedReadingsPerSec} readings/s: p50 ${l.p50Ms!.toFixed(1)} ms, p99 ${l.p99Ms!.toFixed(1)} ms, max ${l.maxMs!.toFixed(1)} ms (${l.alertsSeen}/${l.alertsExpected} alerts)`);
  console.log("\nside by side (burst to influxd)                          readings/s  per CPU-s  RSS MB  stored");
  for (const s of out.sideBySide as Record<string, number | string>[]) {
    console.log(`${String(s.name).slice(0, 56).padEnd(56)} ${String(s.readingsPerSec).padStart(10)} ${String(s.readingsPerCpuSec).padStart(10)} ${String(s.rssMB).padStart(7)}  ${s.stored}/${s.readings}`);
  }
}

await main();
process.exit(0);
