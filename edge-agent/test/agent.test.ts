/**
 * The agent in-process against a real Aedes broker over TCP and the sim GPIO chip on a Unix
 * socket: telemetry, state and will, commands, desired config, and a latched shutoff while
 * the broker is down.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { pino } from "pino";
import { Agent } from "../src/agent/agent";
import { parseConfig } from "../src/config/load";
import { SimGpioClient } from "../src/gpio/sim/client";
import { TestBroker } from "./helpers/broker";
import { Observer, until } from "./helpers/observer";
import { PushSource } from "./helpers/push-source";

const RULES = `
rules:
  - id: overpressure
    severity: critical
    when:
      threshold: { sensor: pressure, above: 8 }
    actions:
      - alert
      - gpio: { line: PUMP, value: 0, latch: true }
  - id: fan
    when:
      threshold: { sensor: temp, above: 40, hysteresis: 5 }
    actions:
      - gpio: { line: FAN, value: 1, latch: false }
`;

const addr = { site: "plant1", device: "rig7" };
const broker = new TestBroker();
const observer = new Observer(() => broker.url);
const dirs: string[] = [];
let agent: Agent | undefined;
let gpio: SimGpioClient | undefined;

beforeAll(async () => {
  await broker.up();
  await observer.start();
});
afterEach(async () => {
  await gpio?.close();
  gpio = undefined;
  await agent?.stop(1000);
  agent = undefined;
});
afterAll(async () => {
  await observer.stop();
  await broker.down();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function startAgent(rules = RULES, extra = "") {
  const dir = mkdtempSync(join(tmpdir(), "fl-agent-"));
  dirs.push(dir);
  const { writeFileSync } = await import("node:fs");
  writeFileSync(join(dir, "rules.yaml"), rules);
  const cfg = parseConfig(`
device: { site: ${addr.site}, id: ${addr.device} }
broker: { url: "${broker.url}", reconnect: { initialMs: 50, maxMs: 200 } }
gpio:
  chip: { type: sim, socket: "${join(dir, "gpio.sock")}" }
  outputs: { PUMP: { line: 4, initial: 1 }, FAN: { line: 5 } }
rules: { file: "${join(dir, "rules.yaml")}", tickMs: 50 }
telemetry: { lingerMs: 5 }
dataDir: "${dir}"
http: { listen: "127.0.0.1:0" }
${extra}
`);
  const source = new PushSource();
  agent = new Agent(cfg, { logger: pino({ level: "silent" }), sources: [source] });
  await agent.start();
  gpio = new SimGpioClient({ socket: join(dir, "gpio.sock") });
  await gpio.connect();
  return { agent, source, dir };
}

const readingsOf = (boot: string) =>
  observer
    .of("telemetry")
    .filter((m) => m.boot === boot)
    .flatMap((m) => m.readings as { sensor: string; value: number }[]);

describe("agent against a real broker", () => {
  it("publishes telemetry batches with boot id and increasing seq, and a retained online state", async () => {
    const { agent, source } = await startAgent();
    const t0 = Date.now();
    for (let i = 0; i < 50; i++) source.push({ sensor: "temp", t: t0 + i, value: 20 + i / 10 });
    await until(() => readingsOf(agent.envelope.boot).length === 50, 5000, "50 readings");
    const msgs = observer.of("telemetry").filter((m) => m.boot === agent.envelope.boot);
    const seqs = msgs.map((m) => m.seq as number);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
    expect(new Set(seqs).size).toBe(seqs.length);
    const online = observer.seen.find((s) => s.kind === "state" && s.value.boot === agent.envelope.boot);
    expect(online?.value.status).toBe("online");
    // The observer can see a message before the agent has handled its PUBACK: the outbox
    // empties only then, so wait for it.
    const metrics = () => fetch(`http://127.0.0.1:${agent.httpPort}/metrics`).then((r) => r.text());
    let text = "";
    await until(async () => /fieldline_edge_outbox_depth 0\b/.test((text = await metrics())), 5000, "outbox drained");
    expect(text).toMatch(/fieldline_edge_readings_in_total 50/);
    expect(text).toMatch(/fieldline_edge_outbox_depth 0/);
    const health = (await (await fetch(`http://127.0.0.1:${agent.httpPort}/healthz`)).json()) as { mqtt: string };
    expect(health.mqtt).toBe("up");
  });

  it("answers ping, set-output and clear-latch commands", async () => {
    const { agent, source } = await startAgent();
    await until(() => agent.health().mqtt === "up");
    await observer.publish("commands", addr, { v: 1, id: "c1", device: addr.device, t: Date.now(), name: "ping" });
    await observer.publish("commands", addr, { v: 1, id: "c2", device: addr.device, t: Date.now(), name: "set-output", args: { line: "FAN", value: 1 } });
    await observer.publish("commands", addr, { v: 1, id: "c3", device: addr.device, t: Date.now(), name: "reboot" });
    const results = () => observer.of("commandResults").filter((r) => r.boot === agent.envelope.boot);
    await until(() => results().length === 3, 5000, "3 command results");
    const byId = Object.fromEntries(results().map((r) => [r.id, r]));
    expect(byId.c1).toMatchObject({ ok: true });
    expect(byId.c2).toMatchObject({ ok: true });
    expect(byId.c3).toMatchObject({ ok: false });
    expect((await gpio!.get(5)).value).toBe(1);

    // A shutoff latches: set-output is refused until clear-latch.
    source.push({ sensor: "pressure", t: Date.now(), value: 9 });
    expect((await gpio!.get(4)).value).toBe(0);
    source.push({ sensor: "pressure", t: Date.now() + 1, value: 2 });
    expect((await gpio!.get(4)).value).toBe(0);
    await observer.publish("commands", addr, { v: 1, id: "c4", device: addr.device, t: Date.now(), name: "set-output", args: { line: "PUMP", value: 1 } });
    await observer.publish("commands", addr, { v: 1, id: "c5", device: addr.device, t: Date.now(), name: "clear-latch", args: { line: "PUMP" } });
    await observer.publish("commands", addr, { v: 1, id: "c6", device: addr.device, t: Date.now(), name: "set-output", args: { line: "PUMP", value: 1 } });
    await until(() => results().length === 6, 5000, "6 command results");
    const after = Object.fromEntries(results().map((r) => [r.id, r]));
    expect(after.c4).toMatchObject({ ok: false });
    expect(String(after.c4!.error)).toMatch(/latched/);
    expect(after.c5).toMatchObject({ ok: true, result: { cleared: ["PUMP"] } });
    expect(after.c6).toMatchObject({ ok: true });
    expect((await gpio!.get(4)).value).toBe(1);
  });

  it("applies a retained desired config atomically and reports its version; rejects a bad one", async () => {
    const { agent, source } = await startAgent();
    await until(() => agent.health().mqtt === "up");
    // A cloud rule adding a stricter shutoff on the same line, at the local rules' level, latched.
    const strict = "rules:\n  - id: early\n    when: { threshold: { sensor: pressure, above: 3 } }\n    actions: [ { gpio: { line: PUMP, value: 0, latch: true } } ]\n";
    await observer.publish("desiredConfig", addr, { v: 1, version: 7, t: Date.now(), rules: strict }, true);
    const reported = () => observer.of("reportedConfig").filter((r) => r.boot === agent.envelope.boot);
    await until(() => reported().some((r) => r.version === 7), 5000, "reported v7");
    expect(reported().find((r) => r.version === 7)).toMatchObject({ ok: true });
    source.push({ sensor: "pressure", t: Date.now(), value: 5 });
    expect((await gpio!.get(4)).value).toBe(0); // the new threshold (3) is in force

    await observer.publish("desiredConfig", addr, { v: 1, version: 8, t: Date.now(), rules: "rules:\n  - id: x\n    when: { threshold: { sensor: a, above: 1 } }\n    actions: [ { gpio: { line: NOPE, value: 0, latch: true } } ]\n" }, true);
    await until(() => reported().some((r) => r.version === 8), 5000, "reported v8");
    const bad = reported().find((r) => r.version === 8)!;
    expect(bad.ok).toBe(false);
    expect(String(bad.error)).toMatch(/NOPE/);
    expect(agent.health().configVersion).toBe(7);
    await observer.clearRetained("desiredConfig", addr);
  });

  it("fires and latches a shutoff with the broker down; the events arrive after it comes back", async () => {
    const { agent, source } = await startAgent();
    await until(() => agent.health().mqtt === "up");
    await gpio!.watch();
    await broker.down();
    await until(() => agent.health().mqtt === "down", 5000, "agent sees the broker down");
    const t = Date.now();
    source.push({ sensor: "pressure", t, value: 12 });
    // Driven synchronously in the reading's own call: no network in the loop.
    expect((await gpio!.get(4)).value).toBe(0);
    source.push({ sensor: "pressure", t: t + 10, value: 1 });
    await until(() => agent.health().outbox !== undefined && (agent.health().outputs as { latchedBy?: string }[]).some((o) => o.latchedBy === "overpressure"));
    expect((await gpio!.get(4)).value).toBe(0);
    expect(agent.outbox.stats().depth).toBeGreaterThan(0);
    await broker.up();
    const events = () => observer.of("events").filter((e) => e.boot === agent.envelope.boot);
    await until(() => events().some((e) => e.type === "rule-cleared"), 10_000, "events replayed");
    const fired = events().find((e) => e.type === "rule-fired" && e.rule === "overpressure")!;
    expect(fired).toMatchObject({ severity: "critical", t });
    expect(gpio!.outputs.some((o) => o.line === 4 && o.value === 0)).toBe(true);
    expect((await gpio!.get(4)).value).toBe(0);
  });
});

describe("agent with a small outbox", () => {
  it("drops the oldest segments when full, counts them and reports an outbox-full event", async () => {
    const dir = mkdtempSync(join(tmpdir(), "fl-agent-full-"));
    dirs.push(dir);
    const cfg = parseConfig(`
device: { site: ${addr.site}, id: full1 }
broker: { url: "${broker.url}", reconnect: { initialMs: 50, maxMs: 200 } }
telemetry: { maxBatch: 50, lingerMs: 0 }
dataDir: "${dir}"
outbox: { maxBytes: 65536, segmentBytes: 16384 }
http: { listen: null }
`);
    const source = new PushSource();
    agent = new Agent(cfg, { logger: pino({ level: "silent" }), sources: [source], fullReportMs: 50 });
    await agent.start();
    await until(() => agent!.health().mqtt === "up");
    await broker.down();
    await until(() => agent!.health().mqtt === "down");
    const t0 = Date.now();
    for (let i = 0; i < 10_000; i++) source.push({ sensor: "flow", t: t0 + i, value: i });
    // Appends are asynchronous: wait for them (a fixed pause was too short under load).
    await until(() => agent!.outbox.stats().dropped > 0, 10_000, "oldest segments dropped");
    const s = agent.outbox.stats();
    expect(s.dropped).toBeGreaterThan(0);
    expect(s.bytes).toBeLessThanOrEqual(65536);
    await broker.up();
    const full = () => observer.of("events").filter((e) => e.device === "full1" && e.type === "outbox-full");
    await until(() => full().length > 0, 10_000, "outbox-full event");
    const data = full()[0]!.data as { policy: string; records: number; droppedTotal: number };
    expect(data.policy).toBe("drop-oldest");
    expect(data.records).toBeGreaterThan(0);
    // What survived arrives in order: the newest readings, no gaps after the first kept one.
    await until(() => agent!.outbox.stats().depth === 0, 10_000, "outbox drained");
    // QoS 1 is at least once: a batch in flight when the broker went down comes again, so
    // dedupe by (boot, seq) as the processor does.
    const seen = new Set<string>();
    const values = observer
      .of("telemetry")
      .filter((m) => m.device === "full1")
      .filter((m) => {
        const key = `${String(m.boot)}/${String(m.seq)}`;
        return seen.has(key) ? false : (seen.add(key), true);
      })
      .flatMap((m) => (m.readings as { value: number }[]).map((r) => r.value));
    expect(values[values.length - 1]).toBe(9999);
    const first = values[0]!;
    expect(values).toEqual(Array.from({ length: 10_000 - first }, (_, i) => first + i));
  });
});

describe("agent: the outbox forgets telemetry only when the cloud says it is stored", () => {
  async function start(device: string, extraBroker = "") {
    const dir = mkdtempSync(join(tmpdir(), "fl-agent-e2e-"));
    dirs.push(dir);
    const cfg = parseConfig(`
device: { site: ${addr.site}, id: ${device} }
broker: { url: "${broker.url}", reconnect: { initialMs: 50, maxMs: 200 }${extraBroker} }
telemetry: { maxBatch: 5, lingerMs: 0 }
dataDir: "${dir}"
http: { listen: "127.0.0.1:0" }
`);
    const source = new PushSource();
    agent = new Agent(cfg, { logger: pino({ level: "silent" }), sources: [source] });
    await agent.start();
    await until(() => agent!.health().mqtt === "up");
    return source;
  }
  const metric = async (name: string) => {
    const text = await (await fetch(`http://127.0.0.1:${agent!.httpPort}/metrics`)).text();
    return Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1] ?? NaN);
  };
  const telemetryOf = (device: string) => observer.of("telemetry").filter((m) => m.device === device);

  it("keeps PUBACKed telemetry until a stored confirmation names it", async () => {
    observer.confirm = false;
    try {
      const source = await start("e2e1");
      const t0 = Date.now();
      for (let i = 0; i < 20; i++) source.push({ sensor: "flow", t: t0 + i, value: i });
      await until(() => telemetryOf("e2e1").length >= 4, 10_000, "telemetry published");
      // PUBACKed (the observer got them through the broker), yet kept: nobody confirmed.
      await until(async () => (await metric("fieldline_edge_publish_latency_seconds_count{kind=\"telemetry\"}")) >= 4, 5000, "PUBACKs");
      expect(agent!.outbox.stats().depth).toBeGreaterThanOrEqual(4);
      // A confirmation for another boot or device releases nothing.
      await observer.publish("stored", { site: addr.site, device: "e2e1" }, { v: 1, device: "e2e1", boot: "other-boot", t: Date.now(), seqs: [[0, 100]] });
      const msgs = telemetryOf("e2e1");
      const boot = msgs[0]!.boot as string;
      const last = Math.max(...msgs.map((m) => m.seq as number));
      await observer.publish("stored", { site: addr.site, device: "e2e1" }, { v: 1, device: "e2e1", boot, t: Date.now(), seqs: [[0, last]] });
      await until(() => agent!.outbox.stats().depth === 0, 10_000, "released by the confirmation");
    } finally {
      observer.confirm = true;
    }
  });

  it("republishes telemetry the cloud never confirmed, and then forgets it", async () => {
    observer.skipConfirm = 1; // the first message is lost after the broker's PUBACK
    const source = await start("e2e2", ", resendMs: 300");
    const t0 = Date.now();
    for (let i = 0; i < 10; i++) source.push({ sensor: "flow", t: t0 + i, value: i });
    await until(() => agent!.outbox.stats().depth === 0, 15_000, "outbox drained after the resend");
    const seqs = telemetryOf("e2e2").map((m) => m.seq as number);
    expect(seqs.filter((s) => s === 0).length).toBeGreaterThanOrEqual(2); // published again
    expect(await metric("fieldline_edge_telemetry_resent_total")).toBeGreaterThanOrEqual(1);
    const values = new Set(telemetryOf("e2e2").flatMap((m) => (m.readings as { value: number }[]).map((r) => r.value)));
    expect(values.size).toBe(10);
  });

  it("republishes a lost message while newer ones keep being confirmed", async () => {
    observer.skipConfirm = 1; // the first message is lost; every later one is confirmed
    const source = await start("e2e4", ", resendMs: 500");
    const t0 = Date.now();
    // A busy device: a reading every 100 ms, each confirmed soon after.
    for (let i = 0; i < 25; i++) {
      source.push({ sensor: "flow", t: t0 + i, value: i });
      await new Promise((r) => setTimeout(r, 100));
    }
    const firsts = telemetryOf("e2e4").filter((m) => m.seq === 0).length;
    expect(firsts).toBeGreaterThanOrEqual(2); // re-sent while the confirmations kept coming
    await until(() => agent!.outbox.stats().depth === 0, 10_000, "outbox drained");
  });

  it("with release: puback the broker's PUBACK is enough", async () => {
    observer.confirm = false;
    try {
      const source = await start("e2e3", ", release: puback");
      const t0 = Date.now();
      for (let i = 0; i < 10; i++) source.push({ sensor: "flow", t: t0 + i, value: i });
      await until(() => agent!.outbox.stats().appended >= 2 && agent!.outbox.stats().depth === 0, 10_000, "released on PUBACK");
    } finally {
      observer.confirm = true;
    }
  });
});

describe("agent: no two readings of a sensor share a stored millisecond", () => {
  it("spreads a burst stamped in one millisecond, keeps an out-of-order reading's time", async () => {
    const { agent: a, source } = await startAgent();
    const t0 = Date.now();
    for (let i = 0; i < 40; i++) source.push({ sensor: "burst", t: t0, value: i }); // one arrival time
    source.push({ sensor: "burst", t: t0 + 5, value: 40 }); // in order, inside the spread burst
    source.push({ sensor: "burst", t: t0 - 100, value: 41 }); // out of order: keeps its time
    source.push({ sensor: "burst", t: t0 + 3, value: 42 }); // out of order, on a stored time: moves back to a free one
    const got = () => readingsOf(a.envelope.boot).filter((r) => r.sensor === "burst") as unknown as { t: number; value: number }[];
    await until(() => got().length === 43, 5000, "43 readings");
    const byValue = new Map(got().map((r) => [r.value, r.t]));
    const times = Array.from({ length: 41 }, (_, i) => byValue.get(i)!);
    expect(new Set(times).size).toBe(41);
    expect(times).toEqual(times.map((_, i) => t0 + i)); // t0, t0+1, ... in arrival order
    expect(byValue.get(41)).toBe(t0 - 100);
    expect(byValue.get(42)).toBe(t0 - 1); // t0 .. t0+40 are taken
    expect(new Set(got().map((r) => r.t)).size).toBe(43);
    const text = await (await fetch(`http://127.0.0.1:${a.httpPort}/metrics`)).text();
    expect(text).toMatch(/fieldline_edge_timestamps_moved_total 41\b/);
  });
});

describe("agent: a reading stamped far from the host clock cannot silence local safety", () => {
  it("takes the host's time for it, so the next real reading still fires the shutoff", async () => {
    const { agent: a, source } = await startAgent();
    source.push({ sensor: "pressure", t: Date.UTC(3000, 0, 1), value: 2 }); // bogus MCU time
    source.push({ sensor: "pressure", t: Date.now(), value: 9 }); // real, above 8: shut the pump
    await until(async () => (await gpio!.get(4)).value === 0, 5000, "PUMP shut");
    const text = await (await fetch(`http://127.0.0.1:${a.httpPort}/metrics`)).text();
    expect(text).toMatch(/fieldline_edge_timestamps_replaced_total 1\b/);
    await until(() => readingsOf(a.envelope.boot).filter((r) => r.sensor === "pressure").length === 2, 5000, "both published");
    const times = readingsOf(a.envelope.boot).filter((r) => r.sensor === "pressure") as unknown as { t: number }[];
    for (const r of times) expect(Math.abs(r.t - Date.now())).toBeLessThan(60_000);
  });
});
