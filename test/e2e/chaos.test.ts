/**
 * Chaos: the whole platform under a seeded random fault schedule, "nothing acknowledged is
 * ever lost". Each run lasts 35 s of fleets with every fault kind at least once (broker
 * kill -9 and graceful stop, processor kill -9 and graceful stop, the database frozen and
 * stopped, an edge agent killed, the network cut between an edge agent or the processor and
 * the broker), everything back up before the fleets stop, then a bounded wait for the store
 * and the alerts. One seed with the broker's sessions on disk (its default), one in redis-server.
 *
 * Asserted per run: every reading the MQTT fleet sent was acknowledged, and every one is
 * stored once and unaltered; every edge reading the agents acknowledged to their MCUs is
 * stored once, unaltered, in order; each expected alert is raised exactly once. The report
 * (seed, schedule, counts, losses by fault) is printed so that a failure can be replayed
 * with `npm run chaos -- --seeds N --seconds 35 --backend B`.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ALL_KINDS, chaosSchedule } from "../../scripts/platform/chaos";
import { formatChaos, type ChaosReport } from "../../scripts/platform/chaos-report";
import { chaosDir, runChaos } from "../../scripts/platform/chaos-run";
import { serialIds } from "../../scripts/platform/fleet";
import { killAll } from "../../scripts/platform/process";

const SECONDS = 35;
const RUNS = [
  { seed: 1, backend: "disk" },
  { seed: 2, backend: "redis" },
] as const;

describe("chaos schedule", () => {
  it("is the same for the same seed, places every fault kind, and ends everything before the fleets stop", () => {
    for (const { seed } of RUNS) {
      const s = chaosSchedule({ seed, seconds: SECONDS, devices: serialIds(2) });
      expect(chaosSchedule({ seed, seconds: SECONDS, devices: serialIds(2) })).toEqual(s);
      expect(new Set(s.map((f) => f.kind))).toEqual(new Set(ALL_KINDS));
      for (const f of s) expect(f.atS + f.forS).toBeLessThan(SECONDS - 3);
    }
    expect(chaosSchedule({ seed: 1, seconds: SECONDS, devices: serialIds(2) })).not.toEqual(chaosSchedule({ seed: 2, seconds: SECONDS, devices: serialIds(2) }));
  });

  it("never overlaps two faults on the same part", () => {
    const part = (k: string, t?: string) => (k.startsWith("agent") ? `agent:${t}` : k.split("-")[0]);
    for (let seed = 0; seed < 50; seed++) {
      const s = chaosSchedule({ seed, seconds: SECONDS, devices: serialIds(2) });
      for (const a of s)
        for (const b of s) {
          if (a === b || part(a.kind, a.target) !== part(b.kind, b.target)) continue;
          expect(a.atS + a.forS <= b.atS || b.atS + b.forS <= a.atS, `seed ${seed}: ${JSON.stringify([a, b])}`).toBe(true);
        }
    }
  });
});

describe.each(RUNS)("chaos seed $seed, broker sessions in $backend", ({ seed, backend }) => {
  let base: string;
  let report: ChaosReport;
  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), `fl-e2e-chaos-${seed}-`));
  });
  afterAll(async () => {
    killAll();
    if (!process.env.FL_KEEP) await rm(base, { recursive: true, force: true });
  });

  it("runs the platform through the seeded fault schedule", async () => {
    const log: string[] = [];
    report = await runChaos({ seed, seconds: SECONDS, backend, dir: chaosDir(base, seed, backend), settleMs: 45_000, log: (m) => log.push(m) });
    process.stdout.write(`\n${log.filter((l) => l.includes(" began in ")).join("\n")}\n${formatChaos(report)}${JSON.stringify({ seed: report.seed, backend: report.backend, schedule: report.schedule, mqtt: report.mqtt, edge: report.edge, alerts: report.alerts, attribution: report.attribution })}\n`);
    expect(report.schedule.map((f) => [f.name, f.error])).toEqual(report.schedule.map((f) => [f.name, undefined]));
    expect(new Set(report.schedule.map((f) => f.kind))).toEqual(new Set(ALL_KINDS));
  }, 170_000);

  it("loses nothing acknowledged from the MQTT fleet: stored once, unaltered", () => {
    expect(report.mqtt.sent).toBeGreaterThan(10_000);
    expect(report.mqtt.acknowledged).toBe(report.mqtt.sent);
    expect(report.mqtt).toMatchObject({ missing: 0, duplicated: 0, altered: 0, unexpected: 0, stored: report.mqtt.sent });
  });

  it("loses nothing the edge agents acknowledged: stored once, unaltered, in order", () => {
    expect(report.edge.sent).toBeGreaterThan(50);
    expect(report.edge).toMatchObject({ unackedFrames: 0, droppedReadings: 0, acknowledged: report.edge.sent });
    expect(report.edge).toMatchObject({ missing: 0, duplicated: 0, altered: 0, outOfOrder: [], stored: report.edge.sent });
  });

  it("raises every expected alert exactly once", () => {
    expect(report.alerts.expected).toHaveLength(4); // boiler-overheat on the first boiler, meter-overheat on 3 shifted meters
    expect(report.alerts.missing).toEqual([]);
    expect(report.alerts.repeated).toEqual([]);
    expect(report.alerts.unexpected).toEqual([]);
    expect(report.failures).toEqual([]);
  });
});
