/**
 * The verdict of a chaos run: "nothing acknowledged is ever lost". Per fleet, readings sent,
 * acknowledged (MQTT: PUBACK from the broker; edge: the agent's readings ack to the MCU),
 * stored, missing, duplicated, altered; every expected alert raised exactly once; each loss
 * put next to the faults active when the reading was due. As JSON and as a short table.
 */
import type { Alert } from "@fieldline/firmware-contracts";
import { faultName, type Fault } from "./chaos";
import { CLOUD_RULE, SAFETY_DEVICE, SAFETY_RULE } from "./fleet";
import type { RunResult } from "./platform";

export interface FleetCounts {
  sent: number;
  acknowledged: number;
  stored: number;
  missing: number;
  duplicated: number;
  altered: number;
}

export interface ChaosReport {
  ok: boolean;
  failures: string[];
  seed: number;
  backend: "disk" | "memory" | "redis";
  store: string;
  seconds: number;
  wallS: number;
  schedule: (Fault & { name: string; startedS?: number; doneS?: number; error?: string })[];
  mqtt: FleetCounts & { unexpected: number };
  /** `unacked`: readings frames the MCUs still held unacknowledged at the end; `dropped`: readings in frames they had to drop. */
  edge: FleetCounts & { outOfOrder: string[]; unackedFrames: number; droppedReadings: number };
  alerts: { expected: string[]; raised: Record<string, number>; missing: string[]; repeated: string[]; unexpected: string[]; knownLate: string[] };
  /** Losses by the faults active when the reading was due (MQTT fleet) or on the device (edge fleet). */
  attribution: { mqtt: Record<string, { missing: number; duplicated: number; altered: number }>; edge: Record<string, { missing: number; extra: number; faults: string[] }> };
  shutoff: { device: string; latched: boolean; eventDelivered: boolean };
  dir: string;
}

const alertKey = (rule: string, device: string) => `${rule} on ${device}`;

/** The alerts a run must raise: one boiler-overheat on the overheating boiler, one meter-overheat per shifted meter. */
export function expectedAlerts(shifted: string[]): string[] {
  return [alertKey(SAFETY_RULE, SAFETY_DEVICE), ...shifted.map((d) => alertKey(CLOUD_RULE, d))];
}

/** Distinct alerts (by id: one per episode) per rule and device. */
export function alertCounts(alerts: Alert[]): Record<string, number> {
  const ids = new Map<string, Set<string>>();
  for (const a of alerts) {
    const k = alertKey(a.rule, a.device);
    let s = ids.get(k);
    if (!s) ids.set(k, (s = new Set()));
    s.add(a.id);
  }
  return Object.fromEntries([...ids].sort().map(([k, s]) => [k, s.size]));
}

/** Every expected alert raised at least once (the settle waits for this, the verdict asks for exactly once). */
export function alertsComplete(alerts: Alert[], shifted: string[]): boolean {
  const raised = alertCounts(alerts);
  return expectedAlerts(shifted).every((k) => (raised[k] ?? 0) > 0);
}

export function judgeChaos(r: RunResult, o: { seed: number; backend: "disk" | "memory" | "redis"; store: string; seconds: number; schedule: Fault[]; dir: string; shutoffAtS?: number }): ChaosReport {
  const failures: string[] = [];
  const m = r.mqttCheck;
  const s = r.serialCheck;
  const used = new Set<number>();
  const schedule = o.schedule.map((f) => {
    const name = faultName(f);
    const i = r.steps.findIndex((st, j) => st.name === name && !used.has(j));
    const st = i >= 0 ? (used.add(i), r.steps[i]) : undefined;
    return {
      ...f,
      name,
      ...(st ? { startedS: st.atMs / 1000 } : {}),
      ...(st?.doneMs !== undefined ? { doneS: st.doneMs / 1000 } : {}),
      ...(st?.error ? { error: st.error } : {}),
    };
  });

  const mqtt = {
    sent: r.mqtt.readingsSent,
    acknowledged: r.mqtt.readingsAcked,
    stored: m?.stored ?? 0,
    missing: m?.missing ?? r.mqtt.readingsSent,
    duplicated: m?.duplicated ?? 0,
    altered: m?.altered ?? 0,
    unexpected: m?.unexpected ?? 0,
  };
  const acks = r.serialAcks;
  const edge = {
    sent: r.serial.readingsSent,
    acknowledged: acks ? r.serial.readingsSent - acks.droppedReadings : r.serial.readingsAcked,
    stored: s?.stored ?? 0,
    missing: s?.missing ?? r.serial.readingsSent,
    duplicated: s?.doubled ?? 0,
    altered: s?.foreign ?? 0,
    outOfOrder: s?.outOfOrder ?? [],
    unackedFrames: acks?.unacked ?? 0,
    droppedReadings: acks?.droppedReadings ?? 0,
  };
  if (!m || !s) failures.push("the store could not be read back");
  if (mqtt.acknowledged !== mqtt.sent) failures.push(`MQTT fleet: ${mqtt.sent - mqtt.acknowledged} readings never acknowledged by the broker`);
  if (mqtt.missing || mqtt.duplicated || mqtt.altered || mqtt.unexpected) failures.push(`MQTT fleet in the store: ${mqtt.missing} missing, ${mqtt.duplicated} duplicated, ${mqtt.altered} altered, ${mqtt.unexpected} unexpected`);
  if (edge.unackedFrames || edge.droppedReadings) failures.push(`edge fleet: ${edge.unackedFrames} readings frames never acknowledged by the edge agents, ${edge.droppedReadings} readings dropped by the MCUs`);
  if (edge.missing || edge.duplicated || edge.altered || edge.outOfOrder.length) failures.push(`edge fleet in the store: ${edge.missing} missing, ${edge.duplicated} duplicated, ${edge.altered} altered, ${edge.outOfOrder.length} series out of order`);

  const expected = expectedAlerts(r.shifted);
  const raised = alertCounts(r.alerts);
  // Known limitation (docs/e2e.md, "Chaos"): when the safety device's agent is killed while
  // its boiler overheats, the MCU re-sends the hot frames after frames sampled later, and the
  // cloud rules skip readings older than the newest of their sensor (counted in the
  // processor's rules_late_readings_total). Such a run reports the alert apart, not as a loss.
  const heat = o.shutoffAtS;
  const lateAfterAgentKill =
    heat !== undefined &&
    schedule.some((f) => f.kind === "agent-kill9" && f.target === SAFETY_DEVICE && (f.startedS ?? f.atS) <= heat + 4 && (f.doneS ?? f.atS + f.forS) >= heat);
  const safetyKey = alertKey(SAFETY_RULE, SAFETY_DEVICE);
  const alerts = {
    expected,
    raised,
    knownLate: lateAfterAgentKill && !raised[safetyKey] ? [safetyKey] : [],
    missing: expected.filter((k) => !raised[k] && !(lateAfterAgentKill && k === safetyKey)),
    repeated: expected.filter((k) => (raised[k] ?? 0) > 1),
    unexpected: Object.keys(raised).filter((k) => !expected.includes(k)),
  };
  if (r.shifted.length === 0) failures.push("no level shift was injected into the MQTT fleet");
  if (alerts.missing.length) failures.push(`alerts never raised: ${alerts.missing.join(", ")}`);
  if (alerts.repeated.length) failures.push(`alerts raised more than once: ${alerts.repeated.map((k) => `${k} x${raised[k]}`).join(", ")}`);
  if (alerts.unexpected.length) failures.push(`alerts nobody expected: ${alerts.unexpected.map((k) => `${k} x${raised[k]}`).join(", ")}`);
  for (const st of schedule) if (st.error) failures.push(`fault "${st.name}" failed: ${st.error}`);
  for (const st of r.steps) if (st.name === "everything up" && st.error) failures.push(st.error);

  return {
    ok: failures.length === 0,
    failures,
    seed: o.seed,
    backend: o.backend,
    store: o.store,
    seconds: o.seconds,
    wallS: Math.round(r.wallMs / 100) / 10,
    schedule,
    mqtt,
    edge,
    alerts,
    attribution: attribute(r, schedule),
    shutoff: { device: r.shutoff.device, latched: r.shutoff.latched, eventDelivered: r.shutoff.eventDelivered },
    dir: o.dir,
  };
}

/**
 * MQTT fleet: each missing / duplicated / altered reading (from the check's examples) by the
 * faults active around the wall time it was due (1 s before a fault began to 2 s after it
 * ended); edge fleet: per series, with the faults on that device.
 */
function attribute(r: RunResult, schedule: ChaosReport["schedule"]): ChaosReport["attribution"] {
  const mqtt: ChaosReport["attribution"]["mqtt"] = {};
  const c = r.mqttClock;
  const during = (tSim: number): string => {
    const at = (tSim - c.simStart) / c.speed / 1000; // seconds after the fleets started
    const active = schedule.filter((f) => {
      const from = f.startedS ?? f.atS;
      const to = f.doneS ?? from + f.forS;
      return at >= from - 1 && at <= to + 2;
    });
    return active.length ? [...new Set(active.map((f) => f.kind))].sort().join(" + ") : "no fault";
  };
  const ex = r.mqttCheck?.examples;
  for (const what of ["missing", "duplicated", "altered"] as const) {
    for (const x of ex?.[what] ?? []) {
      const k = during(x.t);
      mqtt[k] ??= { missing: 0, duplicated: 0, altered: 0 };
      mqtt[k][what] += what === "duplicated" ? Math.max(1, (x.count ?? 2) - 1) : 1;
    }
  }
  const edge: ChaosReport["attribution"]["edge"] = {};
  for (const [series, v] of Object.entries(r.serialCheck?.bySeries ?? {})) {
    const dev = series.split("/")[0]!;
    edge[series] = { ...v, faults: schedule.filter((f) => f.target === dev).map((f) => f.name) };
  }
  return { mqtt, edge };
}

export function formatChaos(rep: ChaosReport): string {
  const out: string[] = [];
  const pad = (x: unknown, n: number) => String(x).padStart(n);
  out.push(`chaos seed ${rep.seed}: broker ${rep.backend}, ${rep.store}, ${rep.seconds} s of fleets (${rep.wallS} s wall): ${rep.ok ? "OK" : "FAILED"}`);
  out.push("  at s  down s  fault");
  for (const f of rep.schedule) {
    const took = f.startedS !== undefined && f.doneS !== undefined ? ` (ran ${f.startedS.toFixed(1)}-${f.doneS.toFixed(1)} s)` : "";
    out.push(`  ${pad(f.atS.toFixed(1), 4)}  ${pad(f.forS.toFixed(1), 6)}  ${f.kind}${f.target ? ` ${f.target}` : ""}${took}${f.error ? ` FAILED: ${f.error}` : ""}`);
  }
  out.push("  fleet       sent   acked  stored  missing  duplicated  altered");
  for (const [name, c] of [["MQTT", rep.mqtt], ["edge", rep.edge]] as const) {
    out.push(`  ${name.padEnd(6)} ${pad(c.sent, 9)} ${pad(c.acknowledged, 7)} ${pad(c.stored, 7)} ${pad(c.missing, 8)} ${pad(c.duplicated, 11)} ${pad(c.altered, 8)}`);
  }
  const a = rep.alerts;
  const once = a.expected.filter((k) => a.raised[k] === 1).length;
  out.push(`  alerts: ${a.expected.length} expected, ${once} raised exactly once; missing ${a.missing.length}, repeated ${a.repeated.length}, unexpected ${a.unexpected.length}`);
  if (a.knownLate.length) out.push(`  not raised, known limitation (hot frames re-sent after later ones when the agent was killed during the overheat): ${a.knownLate.join(", ")}`);
  const loss = Object.entries(rep.attribution.mqtt);
  if (loss.length) out.push(`  MQTT losses by fault: ${loss.map(([k, v]) => `${k}: ${v.missing} missing, ${v.duplicated} duplicated, ${v.altered} altered`).join("; ")}`);
  const eloss = Object.entries(rep.attribution.edge);
  if (eloss.length) out.push(`  edge losses by series: ${eloss.map(([k, v]) => `${k}: ${v.missing} missing, ${v.extra} extra (faults on it: ${v.faults.join(", ") || "none"})`).join("; ")}`);
  for (const f of rep.failures) out.push(`  - ${f}`);
  return out.join("\n") + "\n";
}
