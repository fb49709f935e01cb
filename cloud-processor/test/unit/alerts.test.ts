import type { Alert } from "@fieldline/firmware-contracts";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { AnomalyAlerts } from "../../src/alerts/anomaly.ts";
import { AlertManager } from "../../src/alerts/manager.ts";
import type { AlertOutput } from "../../src/alerts/outputs.ts";
import type { AlertSignal } from "../../src/alerts/signal.ts";

/** An output that keeps what it is given, in order (a real AlertOutput, kept in memory). */
class Collect implements AlertOutput {
  readonly seen: Alert[] = [];
  async emit(a: Alert): Promise<void> {
    await new Promise((r) => setTimeout(r, Math.random() * 3));
    this.seen.push(a);
  }
}

const log = pino({ level: "silent" });
const sig = (kind: "fire" | "clear", t: number, extra: Partial<AlertSignal> = {}): AlertSignal => ({
  kind,
  rule: "hot",
  site: "s1",
  device: "d1",
  t,
  severity: "warning",
  value: 1,
  ...extra,
});

function setup(opts: { clearHoldMs?: number; renotifyMs?: number } = {}) {
  let now = 1_000_000;
  const out = new Collect();
  const m = new AlertManager([out], { clearHoldMs: opts.clearHoldMs ?? 1000, renotifyMs: opts.renotifyMs ?? 0, now: () => now }, log);
  return { m, out, advance: (ms: number) => (now += ms), now: () => now };
}

describe("AlertManager lifecycle", () => {
  it("raised -> updated (escalation) -> acknowledged -> cleared, one active alert per (rule, device)", async () => {
    const { m, out, advance } = setup();
    await m.signal(sig("fire", 1));
    await m.signal(sig("fire", 2)); // same severity: no new notification
    await m.signal(sig("fire", 3, { severity: "critical" }));
    expect(m.list()).toHaveLength(1);
    const id = m.list()[0]!.id;
    expect(await m.acknowledge(id, "ops")).toMatchObject({ state: "acknowledged", ackBy: "ops", severity: "critical" });
    await m.signal(sig("clear", 4));
    await m.tick();
    expect(m.list()).toHaveLength(1); // still in the clear hold
    advance(1000);
    await m.tick();
    expect(m.list()).toHaveLength(0);
    expect(out.seen.map((a) => a.state)).toEqual(["raised", "updated", "acknowledged", "cleared"]);
    expect(new Set(out.seen.map((a) => a.id)).size).toBe(1);
    expect(out.seen[3]!.raisedAt).toBe(1);
  });

  it("suppresses flapping: fire/clear within the hold yields one alert", async () => {
    const { m, out, advance } = setup({ clearHoldMs: 5000 });
    for (let i = 0; i < 10; i++) {
      await m.signal(sig("fire", i * 2));
      await m.signal(sig("clear", i * 2 + 1));
      advance(500);
      await m.tick();
    }
    expect(out.seen.map((a) => a.state)).toEqual(["raised"]);
    advance(5000);
    await m.tick();
    expect(out.seen.map((a) => a.state)).toEqual(["raised", "cleared"]);
  });

  it("re-notifies an unacknowledged alert every renotifyMs, not an acknowledged one", async () => {
    const { m, out, advance } = setup({ renotifyMs: 60_000 });
    await m.signal(sig("fire", 1));
    advance(59_000);
    await m.tick();
    advance(1000);
    await m.tick();
    expect(out.seen.map((a) => a.state)).toEqual(["raised", "updated"]);
    await m.acknowledge(m.list()[0]!.id, "ops");
    advance(120_000);
    await m.tick();
    expect(out.seen.map((a) => a.state)).toEqual(["raised", "updated", "acknowledged"]);
  });

  it("serialises state changes per key even when outputs are slow", async () => {
    const { m, out } = setup({ clearHoldMs: 0 });
    const all: Promise<void>[] = [];
    for (let i = 0; i < 20; i++) all.push(m.signal(sig(i % 2 ? "clear" : "fire", i)));
    await Promise.all(all);
    const states = out.seen.map((a) => a.state);
    expect(states).toEqual(Array.from({ length: 20 }, (_, i) => (i % 2 ? "cleared" : "raised")));
    expect(out.seen.map((a) => a.t)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it("acknowledging an unknown id returns undefined", async () => {
    const { m } = setup();
    expect(await m.acknowledge("nope", "ops")).toBeUndefined();
  });
});

describe("AnomalyAlerts", () => {
  it("re-opens restored anomaly alerts so they clear after a restart", () => {
    const a = new AnomalyAlerts(0.9, 1000);
    a.restore([{ rule: "anomaly.temp", device: "d", t: 100 }, { rule: "hot", device: "d", t: 100 }]);
    expect(a.observe("s", "d", "temp", 500, 1, 0.1)).toBeUndefined();
    expect(a.observe("s", "d", "temp", 1100, 1, 0.1)).toMatchObject({ kind: "clear", rule: "anomaly.temp" });
  });

  it("fires at the threshold and clears after clearAfterMs of event time without a detection", () => {
    const a = new AnomalyAlerts(0.9, 1000);
    expect(a.observe("s", "d", "temp", 0, 1, 0.5)).toBeUndefined();
    expect(a.observe("s", "d", "temp", 10, 9, 0.95)).toMatchObject({ kind: "fire", rule: "anomaly.temp", score: 0.95 });
    expect(a.observe("s", "d", "temp", 500, 1, 0.1)).toBeUndefined();
    expect(a.observe("s", "d", "temp", 1010, 1, 0.1)).toMatchObject({ kind: "clear", rule: "anomaly.temp" });
    expect(a.observe("s", "d", "temp", 5000, 1, 0.1)).toBeUndefined();
  });
});
