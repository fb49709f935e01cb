// RSS of the agent process (the CLI, as systemd runs it) idle and under load: firmware
// frames pushed as fast as a pty takes them into the serial-frames input, published to a
// real broker. Usage: node --import tsx bench/edge/rss.ts --url mqtt://127.0.0.1:PORT
//   --cmd "node edge-agent/dist/edge-agent.mjs" [--seconds 5] [--rate N] [--env K=V ...]
// Besides VmRSS it reports where the resident memory is (smaps.ts) idle and at the peak.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { SerialPort } from "serialport";
import { encodeFrame } from "../../firmware-contracts/src/index.ts";
import { smapsBreakdown } from "./smaps.ts";

const { values } = parseArgs({
  options: {
    url: { type: "string" },
    cmd: { type: "string" },
    seconds: { type: "string", default: "5" },
    label: { type: "string" },
    /** Readings/s to offer (0: as fast as the pty takes them). */
    rate: { type: "string", default: "0" },
    /** How long the agent runs idle before the load, sampled every 250 ms (V8's memory reducer
     * and the first mark-compact, which lets glibc trim the parser's peak, come ~7-15 s in). */
    "idle-seconds": { type: "string", default: "20" },
    /** Environment for the agent (as the unit's Environment= lines set it), KEY=VALUE. */
    env: { type: "string", multiple: true, default: [] },
  },
});
const seconds = Number(values.seconds);
const dir = mkdtempSync(join(tmpdir(), "fl-bench-rss-"));
const dev = join(dir, "tty-dev");
const peerPath = join(dir, "tty-peer");
const socat = spawn("socat", [`pty,raw,echo=0,link=${dev}`, `pty,raw,echo=0,link=${peerPath}`], { stdio: "ignore" });
while (!existsSync(dev) || !existsSync(peerPath)) await new Promise((r) => setTimeout(r, 10));

const s = createServer();
await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
const httpPort = (s.address() as { port: number }).port;
await new Promise((r) => s.close(r));

writeFileSync(
  join(dir, "rules.yaml"),
  `rules:\n${Array.from({ length: 10 }, (_, i) => `  - id: r${i}\n    when: { threshold: { sensor: s${i}, above: 1000 } }\n`).join("")}`,
);
writeFileSync(
  join(dir, "edge.yaml"),
  `device: { site: bench, id: rss1 }
broker: { url: "${values.url}" }
inputs: [ { type: serial-frames, path: "${dev}", baudRate: 921600 } ]
rules: { file: "${join(dir, "rules.yaml")}" }
dataDir: "${join(dir, "data")}"
http: { listen: "127.0.0.1:${httpPort}" }
log: { level: warn }
`,
);
const [bin, ...args] = values.cmd!.split(" ");
const env = { ...process.env, ...Object.fromEntries(values.env.map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)])) };
const agent = spawn(bin!, [...args, "run", "--config", join(dir, "edge.yaml")], { stdio: ["ignore", "ignore", "inherit"], env });
const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${agent.pid}/status`, "utf8"))![1]) / 1024;
const metric = async (name: string) => {
  const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
  return Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1] ?? NaN);
};
for (;;) {
  try {
    await metric("fieldline_edge_readings_in_total");
    break;
  } catch {
    await new Promise((r) => setTimeout(r, 50));
  }
}
const idleSamples: number[] = [];
for (const tIdle = performance.now(); performance.now() - tIdle < Number(values["idle-seconds"]) * 1000; ) {
  await new Promise((r) => setTimeout(r, 250));
  idleSamples.push(rss());
}
// Idle: the steady state at the end of the idle window; its maximum is the start-up transient.
const idle = rss();
const idleSmaps = smapsBreakdown(agent.pid!);

const peer = await new Promise<SerialPort>((resolve, reject) => {
  const p = new SerialPort({ path: peerPath, baudRate: 921600, autoOpen: false });
  p.open((e) => (e ? reject(e) : resolve(p)));
});
// The agent acks stored frames back over the port: read them as an MCU's UART would (a pty
// nobody reads fills up and blocks the agent's writes).
peer.on("data", () => undefined);
// Closing with a write pending cancels it: expected at the end of the run.
peer.on("error", (e: Error & { canceled?: boolean }) => {
  if (!e.canceled) throw e;
});
let running = true;
let seq = 0;
let v = 0;
const rate = Number(values.rate);
let sent = 0;
const pump = () => {
  // Rate-limited: 1000 readings per write, paced to `rate` readings/s.
  if (rate > 0 && sent > ((performance.now() - t0) / 1000) * rate) {
    setTimeout(pump, 1);
    return;
  }
  sent += 1000;
  // 40 frames of 25 readings per write; wait for the pty to drain before the next.
  const parts: Uint8Array[] = [];
  for (let f = 0; f < 40; f++) {
    const readings = Array.from({ length: 25 }, (_, k) => ({ sensor: `s${k % 10}`, value: v++ % 100 }));
    parts.push(encodeFrame({ type: "readings", seq: seq++ & 0xffff, body: { readings } }));
  }
  peer.write(Buffer.concat(parts));
  peer.drain(() => running && setImmediate(pump));
};
const r0 = await metric("fieldline_edge_readings_in_total");
const t0 = performance.now();
pump();
let peak = idle;
let peakSmaps = idleSmaps;
const samples: number[] = [];
while (performance.now() - t0 < seconds * 1000) {
  await new Promise((r) => setTimeout(r, 100));
  const x = rss();
  samples.push(x);
  if (x > peak) {
    peak = x;
    peakSmaps = smapsBreakdown(agent.pid!);
  }
}
running = false;
const r1 = await metric("fieldline_edge_readings_in_total");
const elapsed = (performance.now() - t0) / 1000;
const depth = await metric("fieldline_edge_outbox_depth");
const heapAtEnd = {
  heapUsedMB: (await metric("fieldline_edge_nodejs_heap_size_used_bytes")) / 2 ** 20,
  heapTotalMB: (await metric("fieldline_edge_nodejs_heap_size_total_bytes")) / 2 ** 20,
  externalMB: (await metric("fieldline_edge_nodejs_external_memory_bytes")) / 2 ** 20,
};
agent.kill("SIGTERM");
await new Promise((r) => agent.once("exit", r));
await new Promise((r) => peer.close(r));
socat.kill();
rmSync(dir, { recursive: true, force: true });
process.stdout.write(
  `${JSON.stringify({
    label: values.label ?? values.cmd,
    offeredRate: rate || "max",
    idleRssMB: idle,
    idleRssMaxMB: Math.max(...idleSamples, idle),
    loadRssPeakMB: peak,
    loadRssMeanMB: samples.reduce((a, b) => a + b, 0) / samples.length,
    loadReadingsPerSec: (r1 - r0) / elapsed,
    outboxDepthAtEnd: depth,
    heapAtEnd,
    idleSmapsMB: idleSmaps,
    peakSmapsMB: peakSmaps,
  })}\n`,
);
process.exit(0);
