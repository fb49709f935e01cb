/**
 * kill -9 of the edge agent while frames arrive (firmware-contracts README: reliable
 * delivery). The simulator plays an MCU on a socat pty pair; a real edge-agent process reads
 * it and publishes to a real Aedes broker; mid-stream the agent is SIGKILLed twice and
 * restarted on the same data dir. With `retransmit` (the MCU keeps readings frames until the
 * agent acks them after its outbox append) every reading arrives exactly once, counted per
 * (sensor, value) after dropping MQTT redeliveries by (boot, seq). Without it (an MCU that
 * ignores acks) the line still works, but what was on the line during a kill is gone. A third
 * run hits the narrowest window on purpose: the agent kills itself right after a frame's
 * readings are in its outbox, before its seqs reach the state file and before the ack is
 * written (FIELDLINE_TEST_KILL_AFTER_STORED_FRAMES); the restarted agent must drop the re-sent
 * frame (MCU boot id + the stored seqs marked in the outbox records).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SerialTransport } from "../src/transports/serial";
import { serialTransport } from "../src/spec/transports";
import { MemoryTruth } from "../src/truth/writer";
import { parseSpec } from "../src/spec/load";
import { simulate } from "../src/simulate";
import { waitFor } from "../src/transports/limit";
import type { ReadingRecord } from "../src/truth/records";
import type { OutboundBatch } from "../src/transports/transport";
import { TestBroker } from "./helpers/broker";
import { TelemetryCollector } from "./helpers/collector";

const AGENT_CLI = resolve(import.meta.dirname, "../../edge-agent/src/cli.ts");

// 2 sensors at 1 s for 42 min: 5,040 readings, ~20 per frame, played in ~6 s.
const spec = `
seed: 5
start: 2026-07-01T00:00:00Z
duration: 42m
speed: 420
batch: { maxReadings: 32, every: 10s }
profiles:
  pump:
    firmware: pump-fw-1.0
    sensors:
      flow: { unit: L/min, interval: 1s, round: 3, source: { type: randomWalk, start: 40, step: 0.5, min: 0 } }
      temp: { unit: Cel, interval: 1s, round: 2, source: { type: sine, mean: 50, amplitude: 5, period: 10m } }
devices:
  - { profile: pump, prefix: pump-k, count: 1, site: plant }
`;

class AgentProcess {
  proc: ChildProcess | undefined;
  log = "";
  /** `env`: extra environment for the first start only. */
  constructor(
    readonly config: string,
    private env: Record<string, string> = {},
  ) {}

  async start(): Promise<void> {
    this.log = "";
    const env = { ...process.env, ...this.env };
    this.env = {};
    const proc = spawn(process.execPath, ["--import", "tsx", AGENT_CLI, "run", "--config", this.config], { stdio: ["ignore", "pipe", "pipe"], env });
    this.proc = proc;
    proc.stdout!.on("data", (d: Buffer) => (this.log += d.toString()));
    proc.stderr!.on("data", (d: Buffer) => (this.log += d.toString()));
    const up = await waitFor(() => this.log.includes('"msg":"agent started"') || proc.exitCode !== null, 30_000, 20);
    if (!up || proc.exitCode !== null) throw new Error(`edge agent did not start: ${this.log.slice(-2000)}`);
  }

  async kill(signal: NodeJS.Signals): Promise<void> {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((r) => proc.once("exit", r));
    proc.kill(signal);
    const t = setTimeout(() => proc.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(t);
  }
}

interface Outcome {
  sent: number;
  lost: number;
  duplicates: number;
  retransmits: number;
  acked: number;
  dropped: number;
  kills: number;
}

describe("kill -9 of the edge agent mid-stream", () => {
  const broker = new TestBroker();
  let collector: TelemetryCollector;
  let dir: string;
  const agents: AgentProcess[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "fl-sim-kill-"));
    await broker.start();
    collector = await new TelemetryCollector().start(broker.url);
  });
  afterAll(async () => {
    for (const a of agents) await a.kill("SIGTERM");
    await collector.stop();
    await broker.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /** `selfKillAfter`: the agent kills itself once that many frames are stored, before acking them. */
  async function run(name: string, retransmit: boolean, selfKillAfter?: number): Promise<Outcome> {
    const device = "pump-k0001";
    const linkDir = join(dir, name);
    const truth = new MemoryTruth();
    let agent: AgentProcess | undefined;
    let frames = 0;
    let kills = 0;
    const restarts: Promise<void>[] = [];
    const killAt = new Set(selfKillAfter === undefined ? [60, 150] : []);
    let r = { retransmits: 0, acked: 0, dropped: 0 };
    const transport = new (class extends SerialTransport {
      override async stop(): Promise<void> {
        r = this.retransmitStats();
        await super.stop();
      }
      override async send(b: OutboundBatch): Promise<void> {
        await super.send(b);
        if (killAt.has(++frames) && agent) {
          const a = agent;
          kills++;
          // SIGKILL while the MCU keeps sending; back after the process starts again.
          restarts.push(a.kill("SIGKILL").then(() => a.start()));
        }
      }
    })(serialTransport.parse({ type: "serial", dir: linkDir, linger: 0, ...(retransmit ? { retransmit: { timeout: 300 } } : {}) }));

    const summary = await simulate(parseSpec(spec), {
      transport,
      truth,
      drainTimeoutMs: 30_000,
      onReady: async () => {
        const [link] = transport.links();
        const config = join(dir, `${name}.yaml`);
        await writeFile(
          config,
          `device: { site: plant, id: ${name} }
broker: { url: "${broker.url}", reconnect: { initialMs: 50, maxMs: 300 } }
inputs:
  - { type: serial-frames, path: "${link!.path}" }
telemetry: { maxBatch: 100, lingerMs: 20 }
dataDir: "${join(dir, `${name}-data`)}"
http: { listen: null }
log: { level: info }
`,
        );
        agent = new AgentProcess(config, selfKillAfter === undefined ? {} : { FIELDLINE_TEST_KILL_AFTER_STORED_FRAMES: String(selfKillAfter) });
        agents.push(agent);
        await agent.start();
        if (selfKillAfter !== undefined) {
          const a = agent;
          a.proc!.once("exit", (_code, signal) => {
            if (signal === "SIGKILL") kills++;
            restarts.push(a.start());
          });
        }
        expect(await transport.waitForReaders(20_000)).toEqual([]);
      },
      onFault: () => new Promise((r) => setTimeout(r, 20)),
    });
    await Promise.all(restarts);

    const want = new Map<string, number>();
    for (const rec of truth.records) {
      if (rec.type !== "reading" || rec.device !== device) continue;
      const k = `${(rec as ReadingRecord).sensor}=${Number((rec as ReadingRecord).value)}`;
      want.set(k, (want.get(k) ?? 0) + 1);
    }
    const tally = () => {
      const got = new Map<string, number>();
      const seen = new Set<string>();
      for (const m of collector.messages) {
        if (m.device !== name || seen.has(`${m.boot}/${m.seq}`)) continue;
        seen.add(`${m.boot}/${m.seq}`);
        for (const x of m.readings) got.set(`${x.sensor}=${x.value}`, (got.get(`${x.sensor}=${x.value}`) ?? 0) + 1);
      }
      let lost = 0;
      let duplicates = 0;
      for (const k of new Set([...want.keys(), ...got.keys()])) {
        const d = (got.get(k) ?? 0) - (want.get(k) ?? 0);
        if (d < 0) lost -= d;
        else duplicates += d;
      }
      return { lost, duplicates };
    };
    // The outbox publishes after the run ends: wait until nothing is missing, or 1.5 s without news.
    let last = -1;
    let since = Date.now();
    await waitFor(() => {
      const { lost } = tally();
      if (lost !== last) [last, since] = [lost, Date.now()];
      return lost === 0 || Date.now() - since > 1500;
    }, 20_000, 50);
    await new Promise((res) => setTimeout(res, 300));
    const t = tally();
    return { sent: summary.readingsSent, ...t, retransmits: r.retransmits, acked: r.acked, dropped: r.dropped, kills };
  }

  it("an MCU that keeps frames until acked loses none and doubles none", async () => {
    const o = await run("pump-ack", true);
    console.log(`kill -9 x2 with retransmit: ${JSON.stringify(o)}`);
    expect(o.sent).toBe(5040);
    expect(o.lost).toBe(0);
    expect(o.duplicates).toBe(0);
    expect(o.kills).toBe(2);
    expect(o.retransmits).toBeGreaterThan(0);
    expect(o.dropped).toBe(0);
  }, 120_000);

  it("the agent dies after storing a frame and before acking it: the re-sent frame is not stored twice", async () => {
    const o = await run("pump-self", true, 40);
    console.log(`self-kill after the append, before the ack: ${JSON.stringify(o)}`);
    expect(o.sent).toBe(5040);
    expect(o.kills).toBe(1);
    expect(o.lost).toBe(0);
    expect(o.duplicates).toBe(0);
    expect(o.retransmits).toBeGreaterThan(0);
  }, 120_000);

  it("an MCU that ignores acks still works, and loses what was on the line during the kills", async () => {
    const o = await run("pump-plain", false);
    console.log(`kill -9 x2 fire and forget: ${JSON.stringify(o)}`);
    expect(o.sent).toBe(5040);
    expect(o.duplicates).toBe(0);
    expect(o.lost).toBeGreaterThan(0);
    expect(o.retransmits).toBe(0);
  }, 120_000);
});
