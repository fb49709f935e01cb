/**
 * Ground truth against the real cloud processor: a fleet with faults goes over MQTT to a real
 * Aedes broker, a real cloud-processor process writes its line-protocol file sink, and
 * `verify` finds every sent reading stored exactly once with its value.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LineFileReader } from "../src/store/file";
import { verify, type VerifyReport } from "../src/verify";
import { MemoryTruth } from "../src/truth/writer";
import { parseSpec } from "../src/spec/load";
import { simulate } from "../src/simulate";
import { waitFor } from "../src/transports/limit";
import { TestBroker } from "./helpers/broker";

const PROCESSOR_CLI = resolve(import.meta.dirname, "../../cloud-processor/src/cli.ts");

describe("simulator -> Aedes -> cloud-processor process -> line-protocol file -> verify", () => {
  const broker = new TestBroker();
  let dir: string;
  let proc: ChildProcess | undefined;
  let log = "";

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "fl-sim-proc-"));
    await broker.start();
    const config = join(dir, "processor.yaml");
    await writeFile(
      config,
      `dataDir: "${join(dir, "data")}"
mqtt: { url: "${broker.url}", clientId: sim-verify-processor, reconnectMs: 50 }
sink: { type: file, path: "${join(dir, "points.lp")}", fsync: false }
writer: { maxBatchPoints: 2000 }
detection: { enabled: false }
http: { port: 0 }
log: { level: info }
`,
    );
    proc = spawn(process.execPath, ["--import", "tsx", PROCESSOR_CLI, "run", "--config", config], { stdio: ["ignore", "pipe", "pipe"] });
    proc.stdout!.on("data", (d: Buffer) => (log += d.toString()));
    proc.stderr!.on("data", (d: Buffer) => (log += d.toString()));
    const up = await waitFor(() => log.includes('"msg":"processor started"') || proc!.exitCode !== null, 30_000, 20);
    if (!up || proc.exitCode !== null) throw new Error(`processor did not start: ${log.slice(-2000)}`);
  });

  afterAll(async () => {
    if (proc && proc.exitCode === null) {
      const exited = new Promise((r) => proc!.once("exit", r));
      proc.kill("SIGTERM");
      await exited;
    }
    await broker.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("every sent reading is stored once with its value, through reboots, disconnects, skew and a broker outage", async () => {
    const truth = new MemoryTruth();
    const spec = parseSpec(`
seed: 99
start: 2026-08-01T00:00:00Z
duration: 2h
speed: 3600
transport: { type: mqtt, url: "${broker.url}", reconnectPeriod: 50 }
profiles:
  sensor-box:
    sensors:
      temp: { interval: 1m, source: { type: sum, of: [ { type: sine, mean: 18, amplitude: 6 }, { type: noise, sigma: 0.4 } ] } }
      co2: { interval: 2m, round: 0, source: { type: randomWalk, start: 600, step: 15, min: 400 } }
devices:
  - { profile: sensor-box, prefix: box-, count: 50, site: campus }
injections:
  - { type: spike, at: 20m, sensors: temp, magnitude: 25, sample: 5 }
  - { type: disconnect, at: 30m, duration: 15m, sample: 10 }
  - { type: disconnect, at: 50m, duration: 10m, sample: 3, buffer: false }
  - { type: reboot, at: 70m, downtime: 2m, sample: 5 }
  - { type: clockSkew, at: 80m, duration: 20m, offset: 45s, devices: box-0007 }
  - { type: garbage, at: 90m, devices: box-0009 }
  - { type: brokerOutage, at: 100m, duration: 5m }
  - { type: disconnect, at: 30m, duration: 30m, devices: box-0001 }
  - { type: reboot, at: 40m, downtime: 1m, devices: box-0001 }
  - { type: disconnect, at: 50m, duration: 20m, devices: box-0001 }
`);
    const summary = await simulate(spec, {
      truth,
      onFault: async (e) => {
        if (e.type === "brokerOutage") await (e.phase === "start" ? broker.pause() : broker.resume());
      },
    });
    expect(summary.readingsLost).toBeGreaterThan(0);
    expect(summary.readingsAcked).toBe(summary.readingsSent);

    const reader = new LineFileReader({ path: join(dir, "points.lp") });
    let report: VerifyReport | undefined;
    for (let i = 0; i < 100; i++) {
      report = await verify(truth.records, reader).catch(() => undefined);
      if (report && report.missing === 0) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(report).toMatchObject({ ok: true, expected: summary.readingsSent, matched: summary.readingsSent, missing: 0, duplicated: 0, altered: 0, unexpected: 0, lostAtDevice: summary.readingsLost });
  }, 120_000);
});
