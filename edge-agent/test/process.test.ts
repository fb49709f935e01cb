/**
 * The agent as a real process (the CLI), fed firmware frames over a socat pty pair through
 * the real serialport binding, publishing to a real Aedes broker over TCP:
 *   - broker down while readings and a shutoff happen (the shutoff latches on the sim chip),
 *   - kill -9 while the backlog is being replayed, then restart (new boot id),
 *   - broker down for a while and back,
 * and in the end every reading arrives exactly once after dedupe by (device, boot, seq).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SerialPort } from "serialport";
import { encodeFrame } from "@fieldline/firmware-contracts";
import { freePort } from "@fieldline/test-support";
import { SimGpioClient } from "../src/gpio/sim/client";
import { TestBroker } from "./helpers/broker";
import { Observer, until } from "./helpers/observer";
import { closePort, PtyPair, writeAll } from "./inputs/helpers/pty";
import { tempDir } from "./inputs/helpers/tmp";

const CLI = resolve(import.meta.dirname, "../src/cli.ts");
const addr = { site: "plant1", device: "pump3" };

class AgentProcess {
  proc: ChildProcess | undefined;
  log = "";
  constructor(
    private readonly config: string,
    readonly httpPort: number,
  ) {}

  async start(): Promise<void> {
    const proc = spawn(process.execPath, ["--import", "tsx", CLI, "run", "--config", this.config], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.proc = proc;
    this.log = "";
    proc.stdout!.on("data", (d: Buffer) => (this.log += d.toString()));
    proc.stderr!.on("data", (d: Buffer) => (this.log += d.toString()));
    await until(() => this.log.includes('"msg":"agent started"') || proc.exitCode !== null, 20_000, "agent start");
    if (proc.exitCode !== null) throw new Error(`agent exited: ${this.log}`);
  }

  async metric(name: string): Promise<number> {
    const text = await (await fetch(`http://127.0.0.1:${this.httpPort}/metrics`)).text();
    const m = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, "m").exec(text);
    return m ? Number(m[1]) : NaN;
  }

  async waitMetric(name: string, pred: (v: number) => boolean, what: string): Promise<void> {
    const end = Date.now() + 15_000;
    for (;;) {
      const v = await this.metric(name);
      if (pred(v)) return;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what} (${name}=${v})\n${this.log.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  kill9(): Promise<void> {
    const proc = this.proc!;
    const exited = new Promise<void>((r) => proc.once("exit", () => r()));
    proc.kill("SIGKILL");
    return exited;
  }

  async term(): Promise<number | null> {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null) return proc?.exitCode ?? null;
    const exited = new Promise<number | null>((r) => proc.once("exit", (code) => r(code)));
    proc.kill("SIGTERM");
    return exited;
  }
}

const broker = new TestBroker();
const observer = new Observer(() => broker.url);
const tmp = tempDir("fl-e2e-");
const pty = new PtyPair(tmp.dir);
let peer: SerialPort;
let agent: AgentProcess;
let seq = 0;
let next = 0;

/** Sends `n` readings of sensor flow numbered from `next`, 25 per frame. */
async function sendFlow(n: number): Promise<void> {
  const end = next + n;
  while (next < end) {
    const k = Math.min(25, end - next);
    const readings = Array.from({ length: k }, (_, i) => ({ sensor: "flow", value: next + i }));
    next += k;
    await writeAll(peer, encodeFrame({ type: "readings", seq: seq++ & 0xffff, body: { readings } }));
  }
}

beforeAll(async () => {
  await broker.up();
  await observer.start();
  await pty.plug();
  peer = await pty.openPeer();
  const rules = join(tmp.dir, "rules.yaml");
  writeFileSync(
    rules,
    `rules:
  - id: overpressure
    severity: critical
    when: { threshold: { sensor: pressure, above: 8 } }
    actions: [ alert, { gpio: { line: PUMP, value: 0, latch: true } } ]
`,
  );
  const config = join(tmp.dir, "edge.yaml");
  const httpPort = await freePort();
  writeFileSync(
    config,
    `device: { site: ${addr.site}, id: ${addr.device} }
broker: { url: "${broker.url}", reconnect: { initialMs: 50, maxMs: 300 }, inflight: 2 }
inputs:
  - { type: serial-frames, path: "${pty.dev}", reopen: { initialMs: 20, maxMs: 100 } }
gpio:
  chip: { type: sim, socket: "${join(tmp.dir, "gpio.sock")}" }
  outputs: { PUMP: { line: 4, initial: 1 } }
rules: { file: "${rules}" }
telemetry: { maxBatch: 20, lingerMs: 5 }
dataDir: "${join(tmp.dir, "data")}"
http: { listen: "127.0.0.1:${httpPort}" }
log: { level: info }
`,
  );
  agent = new AgentProcess(config, httpPort);
});

afterAll(async () => {
  await agent?.term();
  await closePort(peer);
  await pty.unplug();
  await observer.stop();
  await broker.down();
  tmp.cleanup();
});

function delivered() {
  const msgs = observer.of("telemetry").filter((m) => m.device === addr.device);
  const seen = new Set<string>();
  const values: number[] = [];
  let duplicates = 0;
  for (const m of msgs) {
    const key = `${m.boot}/${m.seq}`;
    if (seen.has(key)) {
      duplicates++;
      continue;
    }
    seen.add(key);
    for (const r of m.readings as { sensor: string; value: number }[]) if (r.sensor === "flow") values.push(r.value);
  }
  return { values, duplicates, messages: msgs.length };
}

describe("agent process: kill -9, broker outages, exactly once after dedupe", () => {
  it("delivers every reading exactly once and keeps a shutoff latched across the outage and the restart", async () => {
    await agent.start();
    // 1. Normal flow.
    await sendFlow(500);
    await until(() => delivered().values.length === 500, 15_000, "first 500 readings");

    // 2. Broker down: readings pile up in the outbox; a shutoff fires and latches locally.
    await broker.down();
    await agent.waitMetric("fieldline_edge_mqtt_connected", (v) => v === 0, "agent sees the broker down");
    const gpio = new SimGpioClient({ socket: join(tmp.dir, "gpio.sock") });
    await gpio.connect();
    await gpio.watch();
    await sendFlow(6000);
    await writeAll(peer, encodeFrame({ type: "readings", seq: seq++, body: { readings: [{ sensor: "pressure", value: 11 }] } }));
    await gpio.waitForOutput(4, 0, 5000);
    await writeAll(peer, encodeFrame({ type: "readings", seq: seq++, body: { readings: [{ sensor: "pressure", value: 2 }] } }));
    await agent.waitMetric("fieldline_edge_readings_in_total", (v) => v === 6502, "6500 readings + 2 into the outbox");
    expect((await gpio.get(4)).value).toBe(0); // latched: the pressure drop did not reopen it
    await gpio.close();

    // 3. Broker back; kill -9 while the backlog is being replayed.
    await broker.up();
    await until(() => delivered().values.length > 600, 15_000, "replay under way");
    const firstBoot = observer.of("state").find((x) => x.device === addr.device && x.status === "online")!.boot;
    await agent.kill9();
    const atKill = delivered().values.length;
    expect(atKill).toBeLessThan(6500);
    // The broker publishes the will: the killed boot is marked offline (retained).
    await until(() => observer.of("state").some((x) => x.boot === firstBoot && x.status === "offline"), 10_000, "will");

    // 4. Restart: a new boot replays what was not acknowledged; the latch is still held.
    await agent.start();
    const gpio2 = new SimGpioClient({ socket: join(tmp.dir, "gpio.sock") });
    await gpio2.connect();
    expect((await gpio2.get(4)).value).toBe(0);
    await gpio2.close();
    await until(() => delivered().values.length >= 6500, 20_000, "backlog delivered after restart");
    // A corrupt frame on the line is counted and skipped; the stream goes on.
    await writeAll(peer, Buffer.from([0x05, 0x01, 0x02, 0x03, 0x04, 0x00]));
    await agent.waitMetric("fieldline_edge_frames_rejected_total", (v) => v >= 1, "rejected frame counted");

    // 5. Broker down for a while with the agent running, then back.
    await broker.down();
    await agent.waitMetric("fieldline_edge_mqtt_connected", (v) => v === 0, "broker down again");
    await sendFlow(1000);
    await new Promise((r) => setTimeout(r, 500));
    await broker.up();
    await until(() => delivered().values.length >= 7500, 20_000, "all 7500 readings");
    await agent.waitMetric("fieldline_edge_outbox_depth", (v) => v === 0, "outbox drained");

    const { values, duplicates } = delivered();
    const sorted = [...values].sort((a, b) => a - b);
    expect(sorted).toEqual([...Array(7500).keys()]);
    // The shutoff's events, recorded while offline, arrived too.
    const events = observer.of("events").filter((e) => e.device === addr.device);
    expect(events.some((e) => e.type === "rule-fired" && e.rule === "overpressure")).toBe(true);
    expect(events.some((e) => e.type === "latch-restored")).toBe(true);
    // Graceful stop publishes the offline state.
    expect(await agent.term()).toBe(0);
    await until(() => observer.of("state").some((s) => s.status === "offline"), 5000, "offline state");
    console.log(`e2e: replay killed after ${atKill} readings; ${duplicates} duplicate messages dropped by dedupe`);
  }, 120_000);
});
