// Edge agent benchmarks, side by side with references; JSON to bench/results/edge.json and a
// table on stdout. Run: node --import tsx bench/edge/run.ts [--seconds 5] [--frames 2000]
//   1. frame arrival -> GPIO write (p50/p99), reference: bare pty transit      target p99 <= 1 ms
//   2. sustained readings/s on one core through rules + outbox + MQTT QoS 1,
//      reference: raw mqtt.js QoS 1 publishing the same batches               target >= 100,000
//   3. RSS of the agent process idle and under serial load                   target <= 80 MB
// Everything agent-side runs with the systemd unit's node flags and environment (AGENT_FLAGS,
// AGENT_ENV, checked against edge-agent/deploy/fieldline-edge.service).
//   4. outbox fsync policies: append latency and throughput
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";

const { values } = parseArgs({ options: { seconds: { type: "string", default: "5" }, frames: { type: "string", default: "2000" } } });
const root = resolve(import.meta.dirname, "../..");
const here = (f: string) => join(root, "bench/edge", f);
const node = process.execPath;
const TSX = ["--import", "tsx"];
/** The flags and environment the systemd unit runs the agent with (edge-agent/README.md, "Memory"). */
export const AGENT_FLAGS = ["--max-semi-space-size=1", "--max-old-space-size=64"];
export const AGENT_ENV: Record<string, string> = {
  MALLOC_ARENA_MAX: "2",
  MALLOC_TRIM_THRESHOLD_: "131072",
  MALLOC_MMAP_THRESHOLD_: "131072",
};
// The benchmark must measure what ships: refuse to run if the unit says otherwise.
{
  const unit = readFileSync(join(root, "edge-agent/deploy/fieldline-edge.service"), "utf8");
  const execStart = /^ExecStart=\S+ (.*?) \/opt\/fieldline\/edge-agent\.mjs run /m.exec(unit)?.[1]?.split(" ") ?? [];
  const env = Object.fromEntries([...unit.matchAll(/^Environment=([^=\s]+)=(\S*)$/gm)].map((m) => [m[1], m[2]]));
  if (JSON.stringify(execStart) !== JSON.stringify(AGENT_FLAGS) || JSON.stringify(env) !== JSON.stringify(AGENT_ENV))
    throw new Error(`bench/edge/run.ts: AGENT_FLAGS/AGENT_ENV differ from fieldline-edge.service (${execStart.join(" ")}; ${JSON.stringify(env)})`);
}
const envArgs = Object.entries(AGENT_ENV).flatMap(([k, v]) => ["--env", `${k}=${v}`]);

function json(cmd: string, args: string[], env: Record<string, string> = {}): unknown {
  const out = execFileSync(cmd, args, { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], timeout: 300_000, env: { ...process.env, ...env } });
  const last = out.trim().split("\n").pop()!;
  return JSON.parse(last);
}

async function startBroker(): Promise<{ proc: ChildProcess; url: string }> {
  const proc = spawn("taskset", ["-c", "1", node, ...TSX, here("broker.ts")], { cwd: root, stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise<number>((res) => proc.stdout!.once("data", (d: Buffer) => res(JSON.parse(d.toString()).port)));
  return { proc, url: `mqtt://127.0.0.1:${port}` };
}

const seconds = values.seconds!;
console.error("building the agent bundle ...");
execFileSync("npm", ["run", "-s", "bundle", "-w", "@fieldline/edge-agent"], { cwd: root, stdio: "inherit" });

const broker = await startBroker();
// The agent in-process (from source) under the unit's flags and environment; the raw mqtt.js
// reference runs under the same so that the two differ only by the agent.
const pinned = (args: string[]) => json("taskset", ["-c", "0", node, ...AGENT_FLAGS, ...TSX, ...args], AGENT_ENV);
console.error("throughput ...");
const throughput = [
  pinned([here("throughput.ts"), "--url", broker.url, "--mode", "agent", "--fsync", "interval", "--seconds", seconds]),
  pinned([here("throughput.ts"), "--url", broker.url, "--mode", "agent", "--fsync", "always", "--seconds", seconds]),
  pinned([here("throughput.ts"), "--url", broker.url, "--mode", "raw", "--seconds", seconds]),
] as { mode: string; readingsPerSec: number; messagesPerSec: number; cpuPercent: number; rssPeakMB: number }[];
console.error("rss ...");
const bundle = join(root, "edge-agent/dist/edge-agent.mjs");
const rss = [
  json(node, [...TSX, here("rss.ts"), "--url", broker.url, "--seconds", seconds, "--label", "bundle + unit flags, 100k/s", "--rate", "100000", ...envArgs, "--cmd", [node, ...AGENT_FLAGS, bundle].join(" ")]),
  json(node, [...TSX, here("rss.ts"), "--url", broker.url, "--seconds", seconds, "--label", "bundle + unit flags, max rate", ...envArgs, "--cmd", [node, ...AGENT_FLAGS, bundle].join(" ")]),
  json(node, [...TSX, here("rss.ts"), "--url", broker.url, "--seconds", seconds, "--label", "bundle, node defaults, max", "--cmd", [node, bundle].join(" ")]),
  json(node, [...TSX, here("rss.ts"), "--url", broker.url, "--seconds", seconds, "--label", "from source via tsx, max", "--cmd", [node, ...TSX, join(root, "edge-agent/src/cli.ts")].join(" ")]),
] as { label: string; idleRssMB: number; idleRssMaxMB: number; loadRssPeakMB: number; loadReadingsPerSec: number }[];
broker.proc.kill("SIGTERM");
console.error("latency ...");
const latency = json(node, [...AGENT_FLAGS, ...TSX, here("latency.ts"), "--frames", values.frames!], AGENT_ENV) as Record<string, { p50: number; p99: number; max: number }>;
console.error("fsync ...");
const fsync = json(node, [...TSX, here("fsync.ts")]) as { fsync: string; appendsPerSec: number; MBps: number; appendMicros: { p50: number; p99: number; max: number } }[];

const result = {
  when: new Date().toISOString(),
  machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
  targets: { gpioP99Ms: 1, readingsPerSec: 100_000, rssMB: 80 },
  latency,
  throughput,
  rss,
  fsync,
};
mkdirSync(join(root, "bench/results"), { recursive: true });
writeFileSync(join(root, "bench/results/edge.json"), `${JSON.stringify(result, null, 2)}\n`);

const f = (x: number, d = 0) => x.toLocaleString("en-US", { maximumFractionDigits: d, minimumFractionDigits: d });
const lines = [
  "frame -> GPIO write (ms)            p50      p99      max",
  ...Object.entries(latency)
    .filter(([, v]) => typeof v === "object")
    .map(([k, v]) => `  ${k.padEnd(32)} ${f(v.p50, 3).padStart(7)}  ${f(v.p99, 3).padStart(7)}  ${f(v.max, 2).padStart(7)}`),
  "",
  "sustained, one core                       readings/s   msgs/s   CPU %   RSS MB",
  ...throughput.map((t) => `  ${t.mode.slice(0, 40).padEnd(40)} ${f(t.readingsPerSec).padStart(10)} ${f(t.messagesPerSec).padStart(8)} ${f(t.cpuPercent).padStart(7)} ${f(t.rssPeakMB).padStart(8)}`),
  `  agent / raw mqtt.js: ${f(throughput[0]!.readingsPerSec / throughput[2]!.readingsPerSec, 2)}x`,
  "",
  "agent process RSS (MB)             idle (start-up max)   load peak   load readings/s",
  ...rss.map((r) => `  ${r.label.padEnd(30)} ${f(r.idleRssMB, 1).padStart(6)} (${f(r.idleRssMaxMB, 1).padStart(5)})        ${f(r.loadRssPeakMB, 1).padStart(9)}   ${f(r.loadReadingsPerSec).padStart(12)}`),
  "",
  "outbox append, 16 KiB record     appends/s    MB/s   p50 us   p99 us   max us",
  ...fsync.map((x) => `  fsync=${x.fsync.padEnd(24)} ${f(x.appendsPerSec).padStart(9)} ${f(x.MBps).padStart(7)} ${f(x.appendMicros.p50).padStart(8)} ${f(x.appendMicros.p99).padStart(8)} ${f(x.appendMicros.max).padStart(8)}`),
];
console.log(lines.join("\n"));
process.exit(0);
