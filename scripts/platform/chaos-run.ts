/**
 * One chaos run: a platform whose processor and edge agents reach the broker through proxies,
 * simulated MCUs that re-send unacknowledged frames, the broker's sessions in memory or in
 * redis-server, a database this run can stop and freeze; the seeded schedule of
 * `chaos.ts` applied while both fleets run; then a bounded wait for the store to hold what
 * was acknowledged and for the alerts, and the verdict of `chaos-report.ts`.
 */
import { join } from "node:path";
import { chaosSchedule, chaosSteps, type FaultKind } from "./chaos";
import { alertsComplete, judgeChaos, type ChaosReport } from "./chaos-report";
import { serialIds, type FleetPlan } from "./fleet";
import { Platform } from "./platform";
import type { StoreChoice } from "./store";

export interface ChaosRunOptions {
  seed: number;
  /** How long the fleets run, seconds. */
  seconds: number;
  /** Broker sessions: on disk (the default), in memory (lost on a restart), in redis-server. */
  backend: "disk" | "memory" | "redis";
  /** Work folder of this run (kept; logs, truth, data). */
  dir: string;
  store?: StoreChoice;
  serialDevices?: number;
  mqttDevices?: number;
  kinds?: FaultKind[];
  /**
   * Longest wait after the fleets stop for the store and the alerts (default 45 s). It stops
   * early once neither changed for 32 s: longer than the 5 s the processor's per-device
   * sequencer holds a device's telemetry back from the rules after a seq gap, so an alert
   * held back by a lost message still arrives inside the wait.
   */
  settleMs?: number;
  log?: (msg: string) => void;
}

export async function runChaos(o: ChaosRunOptions): Promise<ChaosReport> {
  const plan: FleetPlan = {
    seconds: o.seconds,
    serialDevices: o.serialDevices ?? 2,
    mqttDevices: o.mqttDevices ?? 30,
    shutoffAt: Math.round(o.seconds * 0.4),
    seed: o.seed,
    retransmit: true,
    // Platform faults only: a meter going offline on its own during a broker outage gives up unacknowledged readings.
    deviceOutages: false,
  };
  const schedule = chaosSchedule({ seed: o.seed, seconds: o.seconds, devices: serialIds(plan.serialDevices), ...(o.kinds ? { kinds: o.kinds } : {}) });
  // A store that keeps one point per series and time, as InfluxDB does: the processor's writes
  // are idempotent there, so a message redelivered after a restart is stored once.
  const store = o.store ?? { kind: "victoria-metrics", dedup: true };
  const platform = new Platform({
    dir: o.dir,
    plan,
    store,
    redis: o.backend === "redis",
    ...(o.backend === "redis" ? {} : { brokerPersistence: o.backend }),
    proxies: true,
    // MCU time for every boiler: a re-sent frame keeps its readings' times.
    edgeTime: "mcu",
    safetyTime: "mcu",
    ...(o.log ? { log: o.log } : {}),
  });
  try {
    await platform.start();
    const result = await platform.run({
      steps: chaosSteps(schedule, o.seconds, o.log),
      settle: { timeoutMs: o.settleMs ?? 45_000, quietMs: 32_000, eventWaitMs: 5_000, alerts: alertsComplete, examples: 100_000 },
    });
    return judgeChaos(result, { seed: o.seed, backend: o.backend, store: platform.store.describe, seconds: o.seconds, schedule, dir: o.dir, shutoffAtS: plan.shutoffAt });
  } finally {
    await platform.stop();
  }
}

/** Work folder of one seed and backend inside a base folder. */
export const chaosDir = (base: string, seed: number, backend: string) => join(base, `seed-${seed}-${backend}`);
