/**
 * What the rules on a device may and may not do, with the agent in-process against a real
 * Aedes broker and the sim GPIO chip: local safety rules that no desired config can replace,
 * cloud rules beside them, rules of other devices never evaluated, labels from the config,
 * and a wall clock set back while running.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { TestBroker } from "./helpers/broker";
import { Observer, until } from "./helpers/observer";
import { startRig, type Rig } from "./helpers/rig";

const SAFETY = `
rules:
  - id: overheat
    severity: critical
    when: { threshold: { sensor: water_temp, above: 95 } }
    actions: [ alert, { gpio: { line: VALVE, value: 0, latch: true } } ]
`;
const addr = { site: "plant1", device: "boiler-1" };
const broker = new TestBroker();
const observer = new Observer(() => broker.url);
let rig: Rig | undefined;

beforeAll(async () => {
  await broker.up();
  await observer.start();
});
afterEach(async () => {
  await rig?.stop();
  rig = undefined;
  await observer.clearRetained("desiredConfig", addr);
});
afterAll(async () => {
  await observer.stop();
  await broker.down();
});

const reportedOf = (boot: string, version: number) =>
  observer.of("reportedConfig").find((r) => r.boot === boot && r.version === version);

async function push(version: number, rules: string): Promise<Record<string, unknown>> {
  await observer.publish("desiredConfig", addr, { v: 1, version, t: Date.now(), rules }, true);
  await until(() => reportedOf(rig!.agent.envelope.boot, version) !== undefined, 5000, `reported v${version}`);
  return reportedOf(rig!.agent.envelope.boot, version)!;
}

describe("local safety rules and cloud rules", () => {
  it("a desired config from the cloud does not replace the local safety rules", async () => {
    rig = await startRig({ url: broker.url, rules: SAFETY });
    await until(() => rig!.agent.health().mqtt === "up");
    // The cloud's rule file for the fleet: only an alert, at 99 °C.
    const fleet = "rules:\n  - id: overheat\n    when: { threshold: { sensor: water_temp, above: 99 } }\n    actions: [ alert ]\n";
    expect(await push(1, fleet)).toMatchObject({ ok: true });
    expect(rig.agent.health().rules).toEqual({ local: 1, cloud: 1 });
    rig.source.push({ sensor: "water_temp", t: Date.now(), value: 97 });
    expect(await rig.level(4)).toBe(0); // the local rule still shuts the valve at 97
    expect(rig.agent.outputs!.states().find((s) => s.name === "VALVE")).toMatchObject({ value: 0, latchedBy: "overheat" });
  });

  it("cloud rules may add a latched shutoff at the safety level; any other drive of a safety line is refused", async () => {
    rig = await startRig({ url: broker.url, rules: SAFETY });
    await until(() => rig!.agent.health().mqtt === "up");
    const opens = "rules:\n  - id: reopen\n    when: { threshold: { sensor: water_temp, below: 50 } }\n    actions: [ { gpio: { line: VALVE, value: 1, latch: false } } ]\n";
    const refused = await push(1, opens);
    expect(refused.ok).toBe(false);
    expect(String(refused.error)).toMatch(/cloud rule reopen: actions gpio VALVE=1 refused: local safety rules drive VALVE to 0/);
    const unlatched = "rules:\n  - id: soft\n    when: { threshold: { sensor: water_temp, above: 90 } }\n    actions: [ { gpio: { line: VALVE, value: 0, latch: false } } ]\n";
    expect(String((await push(2, unlatched)).error)).toMatch(/may only latch a safety line/);
    // Adding: a stricter shutoff on the valve, and a beacon on a line no local rule drives.
    const adds =
      "rules:\n  - id: early-shutoff\n    when: { threshold: { sensor: water_temp, above: 90 } }\n    actions: [ { gpio: { line: VALVE, value: 0, latch: true } } ]\n" +
      "  - id: beacon\n    when: { threshold: { sensor: water_temp, above: 80 } }\n    actions: [ { gpio: { line: BEACON, value: 1, latch: false } } ]\n";
    expect(await push(3, adds)).toMatchObject({ ok: true });
    rig.source.push({ sensor: "water_temp", t: Date.now(), value: 91 });
    expect(await rig.level(4)).toBe(0);
    expect(await rig.level(6)).toBe(1);
    expect(rig.agent.outputs!.states().find((s) => s.name === "VALVE")?.latchedBy).toBe("early-shutoff");
    const fired = () => observer.of("events").filter((e) => e.boot === rig!.agent.envelope.boot && e.type === "rule-fired");
    await until(() => fired().some((e) => e.rule === "early-shutoff"), 5000, "cloud rule event");
    expect((fired().find((e) => e.rule === "early-shutoff")!.data as { set: string }).set).toBe("cloud");
  });
});

describe("device scope at the edge", () => {
  it("never evaluates a rule for another device: pump-7's silence does not latch this valve", async () => {
    const rules = `
rules:
  - id: pump-7-silent
    scope: { devices: [pump-7] }
    when: { stale: { after: 200ms } }
    actions: [ { gpio: { line: VALVE, value: 0, latch: true } } ]
  - id: fleet-silent
    scope: { devices: [boiler-1, pump-7] }
    when: { stale: { after: 200ms } }
    actions: [ { gpio: { line: VALVE, value: 0, latch: true } } ]
  - id: self-silent
    scope: { devices: ["boiler-*"] }
    when: { stale: { sensor: water_temp, after: 200ms } }
    actions: [ alert ]
`;
    rig = await startRig({ url: broker.url, rules });
    // boiler-1 reports flow every 20 ms (so its own silence rules hold) but never water_temp:
    // its self-silent rule fires (rule time moves on), pump-7's rules never do.
    const feed = setInterval(() => rig!.source.push({ sensor: "flow", t: Date.now(), value: 1 }), 20);
    const events = () => observer.of("events").filter((e) => e.boot === rig!.agent.envelope.boot && e.type === "rule-fired");
    try {
      await until(() => events().some((e) => e.rule === "self-silent"), 5000, "self-silent fired");
      await new Promise((r) => setTimeout(r, 400));
    } finally {
      clearInterval(feed);
    }
    expect(await rig.level(4)).toBe(1);
    expect(events().map((e) => e.rule)).not.toContain("pump-7-silent");
    expect(events().every((e) => e.device === "boiler-1")).toBe(true);
    expect(rig.agent.outputs!.states().find((s) => s.name === "VALVE")?.latchedBy).toBeUndefined();
  });

  it("label-scoped rules match the labels in device.labels, which the retained state publishes", async () => {
    const rules = `
rules:
  - id: north-hot
    scope: { labels: { zone: north } }
    when: { threshold: { sensor: water_temp, above: 95 } }
    actions: [ { gpio: { line: VALVE, value: 0, latch: true } } ]
  - id: south-hot
    scope: { labels: { zone: south } }
    when: { threshold: { sensor: water_temp, above: 60 } }
    actions: [ { gpio: { line: FAN, value: 1, latch: false } } ]
`;
    rig = await startRig({ url: broker.url, rules, deviceExtra: "labels: { zone: north, tier: prod }" });
    await until(() => observer.of("state").some((s) => s.boot === rig!.agent.envelope.boot && s.status === "online"), 5000, "online state");
    const state = observer.of("state").find((s) => s.boot === rig!.agent.envelope.boot && s.status === "online")!;
    expect(state.labels).toEqual({ zone: "north", tier: "prod" });
    rig.source.push({ sensor: "water_temp", t: Date.now(), value: 96 });
    expect(await rig.level(4)).toBe(0);
    expect(await rig.level(5)).toBe(0); // south-hot is another zone's rule
  });
});

describe("clock steps", () => {
  it("a wall clock set back an hour while running does not make readings late: the shutoff still fires at once", async () => {
    let skew = 0;
    const clock = () => Date.now() + skew;
    rig = await startRig({ url: broker.url, rules: SAFETY, deps: { clock } });
    for (let i = 0; i < 5; i++) rig.source.push({ sensor: "water_temp", t: clock() + i, value: 60 });
    await new Promise((r) => setTimeout(r, 50));
    skew = -3_600_000; // NTP, an operator or a bad RTC sets the clock back one hour
    const t = clock();
    rig.source.push({ sensor: "water_temp", t, value: 97 });
    expect(await rig.level(4)).toBe(0);
    expect(rig.agent.health().clockSteps).toBe(1);
    const fired = () => observer.of("events").find((e) => e.boot === rig!.agent.envelope.boot && e.type === "rule-fired");
    await until(() => fired() !== undefined, 5000, "rule-fired event");
    // The event carries the (new) wall-clock time of the reading, not rule time.
    expect(fired()!.t).toBe(t);
  });

  it("after a restart with the clock set back, the latch is restored and rules run from the new clock", async () => {
    const { mkdtempSync, rmSync } = await import("node:fs");
    const { join } = await import("node:path");
    const { tmpdir } = await import("node:os");
    const keep = mkdtempSync(join(tmpdir(), "fl-restart-"));
    try {
      rig = await startRig({ url: broker.url, rules: SAFETY, dataDir: keep });
      rig.source.push({ sensor: "water_temp", t: Date.now(), value: 97 });
      expect(await rig.level(4)).toBe(0);
      await rig.stop();
      const behind = () => Date.now() - 3_600_000;
      rig = await startRig({ url: broker.url, rules: SAFETY, dataDir: keep, deps: { clock: behind } });
      expect(await rig.level(4)).toBe(0); // latch restored before any rule runs
      expect(rig.agent.outputs!.states().find((s) => s.name === "VALVE")?.latchedBy).toBe("overheat");
      // The rules take readings stamped with the clock as it is now.
      rig.source.push({ sensor: "water_temp", t: behind(), value: 97 });
      const fired = () => observer.of("events").find((e) => e.boot === rig!.agent.envelope.boot && e.type === "rule-fired");
      await until(() => fired() !== undefined, 5000, "rule-fired after restart");
      expect(fired()!.rule).toBe("overheat");
      await rig.stop();
      rig = undefined;
    } finally {
      rmSync(keep, { recursive: true, force: true });
    }
  });
});
