import { describe, expect, it } from "vitest";
import { MemoryTransport } from "../src/transports/memory";
import { MemoryTruth } from "../src/truth/writer";
import { parseSpec } from "../src/spec/load";
import { simulate } from "../src/simulate";
import type { ReadingRecord, TruthRecord } from "../src/truth/records";

const START = Date.UTC(2026, 0, 1);

async function truthOf(injections: string, extra = "") {
  const truth = new MemoryTruth();
  const hooks: string[] = [];
  const summary = await simulate(
    parseSpec(`
start: 2026-01-01T00:00:00Z
duration: 4h
${extra}
profiles:
  p:
    sensors:
      x: { interval: 10m, source: { type: constant, value: 10 } }
devices:
  - { profile: p, prefix: d-, count: 2 }
injections:
${injections}
`),
    { transport: new MemoryTransport(), truth, onFault: (e) => void hooks.push(`${e.type}:${e.phase}:${(e.t - START) / 60_000}`) },
  );
  const readings = (device = "d-0001") => truth.records.filter((r): r is ReadingRecord => r.type === "reading" && r.device === device);
  return { truth: truth.records, readings, hooks, summary };
}

const at = (r: ReadingRecord) => (r.t - START) / 60_000;

describe("anomalies", () => {
  it("spike hits one sample, level shift and drift change a window, all labelled", async () => {
    const { readings, truth } = await truthOf(`
  - { type: spike, at: 55m, devices: d-0001, magnitude: 5 }
  - { type: levelShift, at: 2h, duration: 30m, devices: d-0001, delta: -3 }
  - { type: drift, at: 3h, duration: 1h, devices: d-0002, ratePerHour: 6 }
`);
    const r = readings();
    expect(r.filter((x) => x.value !== 10).map((x) => [at(x), x.value, x.labels])).toEqual([
      [60, 15, ["spike"]],
      [120, 7, ["levelShift"]],
      [130, 7, ["levelShift"]],
      [140, 7, ["levelShift"]],
    ]);
    const d2 = readings("d-0002").filter((x) => x.labels);
    expect(d2.map((x) => x.value)).toEqual([10, 11, 12, 13, 14, 15]);
    const labels = truth.filter((x) => x.type === "label");
    expect(labels.map((l) => (l.type === "label" ? [l.name, l.device, (l.start - START) / 60_000, (l.end - START) / 60_000] : []))).toEqual([
      ["spike", "d-0001", 55, 55],
      ["levelShift", "d-0001", 120, 150],
      ["drift", "d-0002", 180, 240],
    ]);
  });

  it("stuck repeats, dropout removes, noise burst perturbs", async () => {
    const { readings } = await truthOf(
      `
  - { type: stuck, at: 1h, duration: 30m, devices: d-0001 }
  - { type: dropout, at: 2h, duration: 30m, devices: d-0001 }
  - { type: noiseBurst, at: 3h, duration: 30m, devices: d-0002, sigma: 1 }
`,
      "",
    );
    const times = readings().map(at);
    expect(times).not.toContain(120);
    expect(times).not.toContain(140);
    expect(times).toContain(150);
    expect(readings().filter((x) => x.labels?.includes("stuck")).map((x) => x.value)).toEqual([10, 10, 10]);
    const noisy = readings("d-0002").filter((x) => x.labels?.includes("noiseBurst"));
    expect(noisy).toHaveLength(3);
    expect(noisy.every((x) => x.value !== 10)).toBe(true);
  });
});

describe("faults", () => {
  it("disconnect with an outbox sends late; without one the readings are lost and marked", async () => {
    const { readings, summary } = await truthOf(`
  - { type: disconnect, at: 1h, duration: 30m, devices: d-0001 }
  - { type: disconnect, at: 1h, duration: 30m, devices: d-0002, buffer: false }
`);
    const kept = readings().filter((x) => at(x) >= 60 && at(x) < 90);
    expect(kept).toHaveLength(3);
    expect(kept.every((x) => x.seq !== undefined && !x.lost)).toBe(true);
    const lost = readings("d-0002").filter((x) => x.lost);
    expect(lost.map(at)).toEqual([60, 70, 80]);
    expect(summary.readingsLost).toBe(3);
    expect(summary.readingsSent).toBe(summary.readingsGenerated - 3);
  });

  it("reboot gives a new boot id and restarts seq; clock skew shifts timestamps", async () => {
    const { readings, truth } = await truthOf(`
  - { type: reboot, at: 1h, downtime: 15m, devices: d-0001 }
  - { type: clockSkew, at: 2h, duration: 1h, offset: 90s, devices: d-0002 }
`);
    const boots = truth.filter((r: TruthRecord) => r.type === "boot" && r.device === "d-0001");
    expect(boots).toHaveLength(2);
    const r = readings();
    expect(r.map(at)).not.toContain(60);
    expect(r.map(at)).not.toContain(70);
    const after = r.filter((x) => at(x) >= 80);
    expect(new Set(after.map((x) => x.boot)).size).toBe(1);
    expect(after[0]!.boot).not.toBe(r[0]!.boot);
    expect(after[0]!.seq).toBe(0);
    const skewed = readings("d-0002").filter((x) => x.trueT !== undefined);
    expect(skewed).toHaveLength(6);
    expect(skewed.every((x) => x.t - x.trueT! === 90_000)).toBe(true);
  });

  it("broker outage is a hook with its window; CRC errors are marked not applied over MQTT-like transports", async () => {
    const { hooks, truth } = await truthOf(`
  - { type: brokerOutage, at: 1h, duration: 20m }
  - { type: crcError, at: 2h, devices: d-0001 }
`);
    expect(hooks).toEqual(["brokerOutage:start:60", "brokerOutage:end:80", "crcError:start:120"]);
    const crc = truth.find((r) => r.type === "fault" && r.fault === "crcError");
    expect(crc).toMatchObject({ applied: false, device: "d-0001" });
  });
});

describe("pacing and range", () => {
  it("speed maps event time to wall time through the injected clock", async () => {
    let now = 0;
    const sleeps: number[] = [];
    const clock = { now: () => now, sleep: async (ms: number) => void (sleeps.push(ms), (now += ms)) };
    const spec = parseSpec(`
start: 2026-01-01T00:00:00Z
duration: 1h
speed: 60
profiles:
  p:
    sensors:
      x: { interval: 10m, source: { type: constant, value: 1 } }
devices:
  - { profile: p, id: only }
`);
    const summary = await simulate(spec, { transport: new MemoryTransport(), clock });
    // samples at 0, 10, ..., 50 min of event time = 0, 10, ..., 50 s of wall time at 60x
    expect(sleeps).toEqual([10_000, 10_000, 10_000, 10_000, 10_000]);
    expect(summary.readingsSent).toBe(6);
  });

  it("injections outside the run are neither applied nor labelled", async () => {
    const { truth } = await truthOf(`
  - { type: spike, at: 5h, magnitude: 5 }
  - { type: brokerOutage, at: 10h, duration: 1h }
  - { type: reboot, at: 1h, devices: d-0001 }
`);
    expect(truth.filter((r) => r.type === "label").map((r) => (r.type === "label" ? r.name : ""))).toEqual(["reboot"]);
  });
});

describe("overlapping faults", () => {
  it("overlapping disconnects keep the device offline until the last ends; a reboot while offline is announced on reconnect", async () => {
    const events: string[] = [];
    const transport = new (class extends MemoryTransport {
      override async setOnline(d: { id: string }, online: boolean) {
        events.push(`${d.id}:${online ? "online" : "offline"}`);
      }
      override async boot(d: { id: string }, info: { t: number }) {
        events.push(`${d.id}:boot@${(info.t - START) / 60_000}`);
      }
    })();
    const truth = new MemoryTruth();
    await simulate(
      parseSpec(`
start: 2026-01-01T00:00:00Z
duration: 4h
profiles:
  p:
    sensors:
      x: { interval: 10m, source: { type: constant, value: 10 } }
devices:
  - { profile: p, id: solo }
injections:
  - { type: disconnect, at: 1h, duration: 1h, devices: solo }
  - { type: disconnect, at: 90m, duration: 1h, devices: solo }
  - { type: reboot, at: 100m, downtime: 10m, devices: solo }
`),
      { transport, truth },
    );
    expect(events).toEqual(["solo:boot@0", "solo:offline", "solo:boot@110"]);
    const readings = truth.records.filter((r): r is ReadingRecord => r.type === "reading");
    // offline 60-150 min with an outbox: nothing lost; nothing sampled while rebooting (100-110)
    expect(readings.filter((r) => r.lost)).toHaveLength(0);
    expect(readings.map(at)).not.toContain(100);
    expect(readings).toHaveLength(24 - 1);
    // read before the reboot, sent after it: still under the old boot, as an outbox keeps them
    const early = readings.filter((r) => at(r) >= 60 && at(r) < 100);
    expect(early.every((r) => r.boot === readings[0]!.boot)).toBe(true);
    const late = readings.filter((r) => at(r) >= 110 && at(r) < 150);
    expect(new Set(late.map((r) => r.boot)).size).toBe(1);
    expect(late[0]!.boot).not.toBe(readings[0]!.boot);
  });
});
