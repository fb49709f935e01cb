/**
 * What durability costs: QoS 1 publishers flat out into one persistent-session subscriber
 * (clean session off, QoS 1, like the cloud processor), so every message is queued in the
 * broker's persistence until the subscriber acknowledges it. Side by side in one run: the
 * Fieldline broker with the memory, disk and Redis (appendfsync always) backends, and
 * Debian's mosquitto with `persistence false` and `persistence true`. Load generators run in
 * their own processes; CPU is read from /proc for the broker (and redis-server) alike.
 * Prints a table and writes bench/results/broker-durability.json.
 *
 *   npx tsx bench/broker/durability.ts [--seconds 8] [--publishers 10] [--payload 256] [--only a,b]
 */
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { topicFilter, topics } from "@fieldline/firmware-contracts";
import { FileRegistryStore } from "../../broker/src/registry/file-store.ts";
import { Registry } from "../../broker/src/registry/registry.ts";
import { startRedis, type RedisServer } from "../../broker/test/redis.ts";
import { load } from "./load-process.ts";
import { cpuMs } from "./proc.ts";
import { running, startFieldline, startMosquitto, type Account, type Target } from "./targets.ts";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "8" },
    publishers: { type: "string", default: "10" },
    payload: { type: "string", default: "256" },
    only: { type: "string" },
  },
});
const SECONDS = Number(values.seconds);
const PUBLISHERS = Number(values.publishers);
const PAYLOAD = Number(values.payload);
const WARMUP_MS = 1500;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Result {
  broker: string;
  publishedPerSec: number;
  deliveredPerSec: number;
  brokerCpuUsPerMsg: number;
  brokerCpuPct: number;
  /** redis-server's CPU per message, for the Redis backend. */
  redisCpuUsPerMsg?: number;
}

async function measure(t: Target, devices: (Account & { topic: string })[], processor: Account, extraPid?: number): Promise<Result> {
  process.stderr.write(`measuring ${t.name} (pid ${t.pid}, port ${t.port})\n`);
  const s = load({ role: "subscriber", port: t.port, ...processor, filters: [topicFilter("telemetry")], persistent: true });
  await s.ready;
  const p = load({ role: "publishers", port: t.port, devices, window: 50, payloadBytes: PAYLOAD });
  await p.ready;
  await sleep(WARMUP_MS);
  const c0 = cpuMs(t.pid);
  const x0 = extraPid ? cpuMs(extraPid) : 0;
  const r0 = await s.report();
  const p0 = await p.report();
  const t0 = performance.now();
  await sleep(SECONDS * 1000);
  const c1 = cpuMs(t.pid);
  const x1 = extraPid ? cpuMs(extraPid) : 0;
  const r1 = await s.report();
  const p1 = await p.report();
  const dt = performance.now() - t0;
  await p.stop();
  await s.stop();
  const delivered = r1.count! - r0.count!;
  return {
    broker: t.name,
    publishedPerSec: ((p1.acked! - p0.acked!) / dt) * 1000,
    deliveredPerSec: (delivered / dt) * 1000,
    brokerCpuUsPerMsg: ((c1 - c0) * 1000) / delivered,
    brokerCpuPct: ((c1 - c0) / dt) * 100,
    ...(extraPid ? { redisCpuUsPerMsg: ((x1 - x0) * 1000) / delivered } : {}),
  };
}

const dir = await mkdtemp(join(tmpdir(), "fl-bench-durability-"));
let redis: RedisServer | undefined;
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
  const devicePattern = topicFilter("telemetry", { site: "bench", device: "USERNAME" }).replace("USERNAME", "%u");
  const accounts = [...devices, processor];

  const targets: Record<string, () => Promise<{ t: Target; extraPid?: number }>> = {
    "fieldline-memory": async () => ({ t: await startFieldline(registryFile, { persistence: { backend: "memory" } }, "fieldline-memory") }),
    "fieldline-disk": async () => ({
      t: await startFieldline(registryFile, { persistence: { backend: "disk", dir: join(dir, "disk") } }, "fieldline-disk"),
    }),
    "fieldline-redis-always": async () => {
      redis = await startRedis(join(dir, "redis"), { appendfsync: "always" });
      return { t: await startFieldline(registryFile, { cluster: { redis: redis.url } }, "fieldline-redis-always"), extraPid: redis.pid };
    },
    "mosquitto-persistence-false": async () => ({ t: await startMosquitto(dir, accounts, topicFilter("telemetry"), devicePattern, { name: "mosquitto-persistence-false", maxInflight: 0 }) }),
    "mosquitto-persistence-true": async () => {
      const persistenceDir = join(dir, "mosquitto-db");
      await mkdir(persistenceDir, { recursive: true });
      return {
        t: await startMosquitto(dir, accounts, topicFilter("telemetry"), devicePattern, { name: "mosquitto-persistence-true", maxInflight: 0, persistenceDir }),
      };
    },
  };
  const results: Result[] = [];
  for (const [name, start] of Object.entries(targets)) {
    if (values.only && !values.only.split(",").includes(name)) continue;
    const { t, extraPid } = await start();
    try {
      results.push(await measure(t, devices, processor, extraPid));
    } finally {
      await t.stop();
      await redis?.stop();
      redis = undefined;
    }
    await sleep(500);
  }

  const out = {
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
    params: { seconds: SECONDS, publishers: PUBLISHERS, window: 50, qos: 1, payloadBytes: PAYLOAD, subscriber: "one, clean session off, QoS 1" },
    results,
  };
  const resultsDir = fileURLToPath(new URL("../results/", import.meta.url));
  await mkdir(resultsDir, { recursive: true });
  await writeFile(join(resultsDir, "broker-durability.json"), JSON.stringify(out, null, 2) + "\n");
  process.stdout.write(JSON.stringify(out) + "\n\n");
  const f = (n: number | undefined, d = 0) => (n !== undefined && Number.isFinite(n) ? n.toFixed(d) : "-");
  const rows = [
    ["broker", "acked/s", "delivered/s", "broker CPU µs/msg", "broker CPU %", "redis CPU µs/msg"],
    ...results.map((r) => [r.broker, f(r.publishedPerSec), f(r.deliveredPerSec), f(r.brokerCpuUsPerMsg, 1), f(r.brokerCpuPct), f(r.redisCpuUsPerMsg, 1)]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) process.stdout.write(r.map((c, i) => c.padStart(widths[i]!)).join("  ") + "\n");
} finally {
  for (const stop of [...running]) await stop();
  await redis?.stop();
  await rm(dir, { recursive: true, force: true });
}
