import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../src/transports/limit";
import { MqttTransport } from "../src/transports/mqtt";
import { mqttTransport } from "../src/spec/transports";
import { MemoryTruth } from "../src/truth/writer";
import { parseSpec } from "../src/spec/load";
import { simulate } from "../src/simulate";
import type { ReadingRecord } from "../src/truth/records";
import { TestBroker } from "./helpers/broker";
import { TelemetryCollector } from "./helpers/collector";

const fleet = (devices: number, extra = "") => `
seed: 5
start: 2026-02-01T00:00:00Z
duration: 10m
${extra}
profiles:
  meter:
    sensors:
      power: { interval: 1m, round: 3, source: { type: sum, of: [ { type: sine, mean: 5, amplitude: 2, randomPhase: true }, { type: noise, sigma: 0.1 } ] } }
      volts: { interval: 2m, source: { type: randomWalk, start: 230, step: 0.5 } }
devices:
  - { profile: meter, prefix: m-, count: ${devices}, site: north }
`;

/** Every reading in the truth arrived exactly once with the same value and timestamp. */
function compare(truth: MemoryTruth, got: TelemetryCollector) {
  const want = new Map<string, number | string>();
  for (const r of truth.records) if (r.type === "reading" && !r.lost) want.set(`${r.device}|${r.boot}|${r.sensor}|${r.t}`, (r as ReadingRecord).value);
  const seen = new Map<string, number>();
  let altered = 0;
  for (const m of got.messages) {
    for (const r of m.readings) {
      const key = `${m.device}|${m.boot}|${r.sensor}|${r.t}`;
      seen.set(key, (seen.get(key) ?? 0) + 1);
      if (want.get(key) !== r.value) altered++;
    }
  }
  const missing = [...want.keys()].filter((k) => !seen.has(k)).length;
  const duplicated = [...seen.values()].filter((n) => n > 1).length;
  return { expected: want.size, missing, duplicated, altered };
}

describe("MQTT transport against a real Aedes broker", () => {
  const broker = new TestBroker({
    authenticate: (client, username, password, done) => {
      const ok = client.id === "collector" || (username === client.id && password?.toString() === `pw-${client.id}`);
      done(null, ok);
    },
  });
  let collector: TelemetryCollector;

  beforeAll(async () => {
    await broker.start();
    collector = await new TelemetryCollector().start(broker.url);
  });
  afterAll(async () => {
    await collector.stop();
    await broker.stop();
  });

  it("1,000 devices, each its own authenticated connection: every reading received once, unaltered", async () => {
    const before = collector.messages.length;
    const truth = new MemoryTruth();
    const spec = parseSpec(fleet(1000, `transport: { type: mqtt, url: "${broker.url}", username: "{device}", password: "pw-{device}" }`));
    const summary = await simulate(spec, { truth });
    expect(summary.devices).toBe(1000);
    expect(summary.readingsSent).toBe(15_000);
    expect(summary.readingsAcked).toBe(15_000);
    expect(summary.failed).toBe(0);
    await waitFor(() => collector.readingCount() >= 15_000, 20_000);
    const got = Object.assign(new TelemetryCollector(), { messages: collector.messages.slice(before) });
    expect(compare(truth, got)).toEqual({ expected: 15_000, missing: 0, duplicated: 0, altered: 0 });
    expect(new Set(got.messages.map((m) => m.device)).size).toBe(1000);
    expect(collector.bad).toBe(0);
  }, 120_000);

  it("wrong credentials stop the run with the broker's refusal", async () => {
    const transport = new MqttTransport(mqttTransport.parse({ type: "mqtt", url: broker.url, username: "{device}", password: "wrong" }));
    await expect(simulate(parseSpec(fleet(1)), { transport })).rejects.toThrow(/m-0001: broker refused the connection: .*(Bad username or password|Not authorized)/);
    expect(transport.stats().readingsSent).toBe(0);
  });

  it("per-device credentials from a JSON file", async () => {
    const { mkdtemp, writeFile, rm } = await import("node:fs/promises");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const dir = await mkdtemp(join(tmpdir(), "fl-sim-cred-"));
    const creds = Object.fromEntries(["m-0001", "m-0002", "m-0003"].map((d) => [d, { username: d, password: `pw-${d}` }]));
    await writeFile(join(dir, "creds.json"), JSON.stringify(creds));
    try {
      const summary = await simulate(parseSpec(fleet(3, `transport: { type: mqtt, url: "${broker.url}", credentialsFile: creds.json, username: nobody, password: wrong }`), "<spec>", dir));
      expect(summary.readingsAcked).toBe(45);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("a broker outage window: the hook takes the broker down and up, and nothing is lost", async () => {
    collector.messages.length = 0;
    const truth = new MemoryTruth();
    const phases: string[] = [];
    const spec = parseSpec(
      fleet(20, `speed: 600
transport: { type: mqtt, url: "${broker.url}", username: "{device}", password: "pw-{device}", reconnectPeriod: 50 }
injections:
  - { type: brokerOutage, at: 3m, duration: 3m }`),
    );
    const summary = await simulate(spec, {
      truth,
      onFault: async (e) => {
        if (e.type !== "brokerOutage") return;
        phases.push(e.phase);
        if (e.phase === "start") await broker.pause();
        else await broker.resume();
      },
    });
    expect(phases).toEqual(["start", "end"]);
    expect(summary.readingsAcked).toBe(300);
    await waitFor(() => collector.readingCount() >= 300, 10_000);
    const result = compare(truth, collector);
    expect(result.missing).toBe(0);
    expect(result.altered).toBe(0);
    expect(result.expected).toBe(300);
  }, 60_000);

  it("a broker that stays down at the end: the run ends (drain timeout), unacknowledged readings are reported", async () => {
    const lonely = await new TestBroker().start();
    try {
      const spec = parseSpec(
        fleet(2, `speed: 600
transport: { type: mqtt, url: "${lonely.url}", reconnectPeriod: 50 }
injections:
  - { type: brokerOutage, at: 5m, duration: 1h }`),
      );
      const summary = await simulate(spec, {
        drainTimeoutMs: 300,
        onFault: async (e) => {
          if (e.type === "brokerOutage" && e.phase === "start") await lonely.pause();
        },
      });
      expect(summary.readingsSent).toBe(30);
      expect(summary.readingsAcked).toBeLessThan(30);
      expect(summary.readingsAcked).toBeGreaterThan(0);
    } finally {
      await lonely.stop();
    }
  });
});
