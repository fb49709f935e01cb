/**
 * Resolves the spec's injections against the fleet: which devices and series each one hits,
 * and its exact event-time window. The result drives the run and is the label ground truth.
 */
import { Prng } from "../random";
import { matchesAny, resolveInstant } from "../spec/fields";
import { isAnomaly, type AnomalySpec, type FaultSpec, type InjectionSpec } from "../spec/injections";
import type { Fleet, SimDevice } from "../run/fleet";

export interface Label {
  /** Index of the injection in the spec. */
  injection: number;
  kind: "anomaly" | "fault";
  /** Injection type: spike, drift, disconnect, brokerOutage, ... */
  name: InjectionSpec["type"];
  device?: string;
  sensor?: string;
  start: number;
  /** Exclusive end; equal to start for instantaneous ones (spike of one sample, reboot). */
  end: number;
  params: Record<string, unknown>;
}

export interface AnomalyWindow {
  label: Label;
  spec: AnomalySpec;
}

export interface FaultWindow {
  label: Label;
  spec: FaultSpec;
  device?: SimDevice;
}

export interface InjectionPlan {
  labels: Label[];
  /** Per series index. */
  anomalies: Map<number, AnomalyWindow[]>;
  faults: FaultWindow[];
}

function pickDevices(fleet: Fleet, spec: InjectionSpec, index: number): SimDevice[] {
  if (spec.type === "brokerOutage") return [];
  const matched = fleet.devices.filter((d) => matchesAny(spec.devices, d.id));
  if (spec.sample === undefined || spec.sample >= matched.length) return matched;
  const rng = Prng.derive(fleet.seed, "inject", index);
  const pool = matched.slice();
  for (let i = 0; i < spec.sample; i++) {
    const j = i + rng.int(pool.length - i);
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  return pool.slice(0, spec.sample).sort((a, b) => a.index - b.index);
}

function params(spec: InjectionSpec): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(spec)) {
    if (!["type", "at", "devices", "sensors", "sample", "duration"].includes(k)) out[k] = v;
  }
  return out;
}

function windowEnd(spec: InjectionSpec, start: number, runEnd: number): number {
  switch (spec.type) {
    case "levelShift":
    case "clockSkew":
      return spec.duration === undefined ? runEnd : start + spec.duration;
    case "reboot":
      return start + spec.downtime;
    case "garbage":
    case "crcError":
      return start;
    default:
      return start + spec.duration;
  }
}

export function planInjections(fleet: Fleet, injections: readonly InjectionSpec[]): InjectionPlan {
  const plan: InjectionPlan = { labels: [], anomalies: new Map(), faults: [] };
  injections.forEach((spec, index) => {
    const start = resolveInstant(spec.at, fleet.start);
    // Outside the run (e.g. --duration shortened it): not injected, not labelled.
    if (start >= fleet.end || start < fleet.start) return;
    const end = windowEnd(spec, start, fleet.end);
    const base = { injection: index, name: spec.type, start, end, params: params(spec) };
    if (spec.type === "brokerOutage") {
      const label: Label = { ...base, kind: "fault" };
      plan.labels.push(label);
      plan.faults.push({ label, spec });
      return;
    }
    for (const device of pickDevices(fleet, spec, index)) {
      if (isAnomaly(spec)) {
        for (const s of fleet.series) {
          if (s.device !== device || !matchesAny(spec.sensors, s.sensor)) continue;
          const label: Label = { ...base, kind: "anomaly", device: device.id, sensor: s.sensor };
          plan.labels.push(label);
          const list = plan.anomalies.get(s.index) ?? [];
          list.push({ label, spec });
          plan.anomalies.set(s.index, list);
        }
      } else {
        const label: Label = { ...base, kind: "fault", device: device.id };
        plan.labels.push(label);
        plan.faults.push({ label, spec, device });
      }
    }
  });
  return plan;
}
