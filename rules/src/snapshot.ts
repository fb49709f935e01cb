import { NO_STATS, type Evaluator, type EvaluatorStats } from "./evaluator.ts";
import { Phase } from "./runtime.ts";
import type { Reading } from "./types.ts";

export const SNAPSHOT_FORMAT = "fieldline.rules.snapshot/1";

/** One (rule, device) state. Times that are unset (±Infinity) are null. */
export interface StateSnapshot {
  rule: string;
  phase: number;
  deadline: number | null;
  now: number | null;
  cond: boolean;
  primed: boolean;
  cause: Reading[] | null;
  leaves: unknown[];
}

/** Everything an evaluator knows, as plain JSON. */
export interface EvaluatorSnapshot {
  format: typeof SNAPSHOT_FORMAT;
  start: number | null;
  /** Latest explicit tick (`advance`), or the start. */
  clock: number | null;
  /** Rule ids with a fingerprint of their semantics; a changed rule starts afresh. */
  rules: { id: string; fingerprint: string }[];
  devices: {
    id: string;
    /** The device's own event time (absent in older snapshots: its latest reading). */
    now?: number | null;
    /** Boot ids of its current and previous epoch, when readings carried them. */
    boot?: string;
    prevBoot?: string;
    sensors: [string, number][];
    states: StateSnapshot[];
  }[];
  stats: EvaluatorStats;
}

const num = (x: number): number | null => (Number.isFinite(x) ? x : null);

export function takeSnapshot(ev: Evaluator): EvaluatorSnapshot {
  const devices: EvaluatorSnapshot["devices"] = [];
  for (const dev of ev.devices.values()) {
    const sensors: [string, number][] = [];
    for (const [name, slot] of dev.slots)
      if (Number.isFinite(slot.lastT)) sensors.push([name, slot.lastT]);
    devices.push({
      id: dev.id,
      now: num(dev.now),
      ...(dev.boot === undefined ? {} : { boot: dev.boot }),
      ...(dev.prevBoot === undefined ? {} : { prevBoot: dev.prevBoot }),
      sensors,
      states: dev.states.map((st) => ({
        rule: st.rt.rule.id,
        phase: st.phase,
        deadline: num(st.phaseDeadline),
        now: num(st.now),
        cond: st.cond,
        primed: st.primed,
        cause: st.cause ? st.cause.map((c) => ({ ...c })) : null,
        leaves: st.rt.leaves.map((l, i) => l.save(st.ls[i])),
      })),
    });
  }
  return {
    format: SNAPSHOT_FORMAT,
    start: ev.start ?? null,
    clock: num(ev.clock),
    rules: ev.rts.map((rt) => ({ id: rt.rule.id, fingerprint: rt.fingerprint })),
    devices,
    stats: { ...ev.stats_ },
  };
}

/**
 * Loads a snapshot into a fresh evaluator. States of rules that are gone or whose
 * condition or durations changed are dropped (those rules start afresh for the device, as
 * if installed at the latest event time the snapshot had seen for that device, or its last
 * tick if later);
 * scopes are resolved again, so a device that left a rule's scope loses that state.
 */
export function loadSnapshot(ev: Evaluator, snap: EvaluatorSnapshot): void {
  if (snap.format !== SNAPSHOT_FORMAT)
    throw new Error(`unknown snapshot format ${String(snap.format)}`);
  const same = new Set<string>();
  for (const r of snap.rules) if (ev.byId.get(r.id)?.fingerprint === r.fingerprint) same.add(r.id);
  ev.stats_ = { ...NO_STATS, ...snap.stats };
  ev.clock = snap.clock ?? -Infinity;
  if (snap.start === null) return;
  ev.start = snap.start;
  const ticked = Math.max(snap.start, snap.clock ?? snap.start);
  for (const d of snap.devices) {
    // States that are not restored (new or changed rules) start watching at the device's
    // time, not at the original start: a changed stale rule must not fire at once for every
    // device. Another device's time never counts (a clock far ahead would silence it).
    let now = d.now ?? -Infinity;
    if (d.now === undefined) {
      for (const [, t] of d.sensors) if (t > now) now = t;
      for (const s of d.states) if (s.now !== null && s.now > now) now = s.now;
    }
    const dev = ev.addDevice(d.id, Math.max(ticked, now));
    if (Number.isFinite(now)) dev.now = now;
    dev.boot = d.boot;
    dev.prevBoot = d.prevBoot;
    const saved = new Map(d.states.filter((s) => same.has(s.rule)).map((s) => [s.rule, s]));
    for (const st of dev.states) {
      const s = saved.get(st.rt.rule.id);
      if (!s) continue;
      st.phase = s.phase as Phase;
      st.phaseDeadline = s.deadline ?? Infinity;
      st.now = s.now ?? -Infinity;
      st.cond = s.cond;
      st.primed = s.primed;
      st.cause = s.cause ? s.cause.map((c) => ({ ...c })) : null;
      st.rt.leaves.forEach((l, i) => st.setLeaf(i, l.load(s.leaves[i])));
      ev.schedule(dev, st);
    }
    // Slots hold references to leaf states: create them after the states are loaded.
    for (const [sensor, lastT] of d.sensors) ev.addSlot(dev, sensor).lastT = lastT;
  }
  ev.begin(snap.start, ticked); // creates expected devices the snapshot did not have yet
}
