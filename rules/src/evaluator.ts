import type { LeafEngine } from "./conditions/leaf.ts";
import { MinHeap } from "./heap.ts";
import { emit, flip, tick } from "./machine.ts";
import { newState, Phase, prepareRule, type RuleRuntime, type RuleState } from "./runtime.ts";
import { exactIds } from "./scope.ts";
import { loadSnapshot, takeSnapshot, type EvaluatorSnapshot } from "./snapshot.ts";
import type { DeviceInfo, Reading, RuleSet, Transition } from "./types.ts";

export interface EvaluatorOptions {
  /** Device registry, used to resolve label scopes the first time a device is seen. */
  devices?: (id: string) => DeviceInfo | undefined;
  /** Devices to watch from the start (besides ids named literally in scopes), so that
   *  stale rules fire for a device never heard from. */
  expect?: Iterable<string>;
  /** Event time at which watching starts; defaults to the first push or advance. */
  start?: number;
}

/** Counters, all cumulative and kept in snapshots. */
export interface EvaluatorStats {
  readings: number;
  /** (reading, rule) pairs evaluated. */
  evaluations: number;
  transitions: number;
  /** Same device, sensor and time as the previous reading: ignored (first wins). */
  duplicates: number;
  /** Older than the previous reading of that device and sensor: ignored. */
  late: number;
  /** Older than a time-based decision already taken by one rule for that device: ignored by that rule. */
  lateForRule: number;
  /** Not a finite number, or missing fields: ignored. */
  invalid: number;
}

/** @internal Per-device routing: readings of one sensor go to these (state, leaves) pairs. */
export interface Slot {
  lastT: number;
  bindings: Binding[];
}
/** @internal A rule state and which of its leaves listen to one sensor; `leaf`/`ls`/`index`
 *  are set when exactly one does (the fast path). */
export interface Binding {
  readonly st: RuleState;
  readonly leaves: number[];
  readonly leaf: LeafEngine | undefined;
  readonly lstate: unknown;
  readonly index: number;
}
/** @internal */
export interface DeviceEntry {
  id: string;
  states: RuleState[];
  slots: Map<string, Slot>;
}

interface HeapEntry {
  d: number;
  st: RuleState;
}

/**
 * Incremental, event-time rule evaluator. It never reads the wall clock: time moves only
 * with reading timestamps (`push`) and explicit ticks (`advance`). Work per reading is O(1)
 * per rule whose scope holds the device and whose condition names the sensor.
 */
export class Evaluator {
  /** @internal */ readonly rts: RuleRuntime[];
  /** @internal */ readonly byId = new Map<string, RuleRuntime>();
  /** @internal */ readonly devices = new Map<string, DeviceEntry>();
  /** @internal */ start: number | undefined;
  /** @internal */ clock = -Infinity;
  /** @internal */ stats_: EvaluatorStats = {
    readings: 0,
    evaluations: 0,
    transitions: 0,
    duplicates: 0,
    late: 0,
    lateForRule: 0,
    invalid: 0,
  };
  private readonly expected: string[];
  private readonly heap = new MinHeap<HeapEntry>((a, b) =>
    a.d !== b.d
      ? a.d < b.d
      : a.st.rt.index !== b.st.rt.index
        ? a.st.rt.index < b.st.rt.index
        : a.st.device < b.st.device,
  );

  constructor(
    readonly rules: RuleSet,
    private readonly opts: EvaluatorOptions = {},
  ) {
    this.rts = rules.rules.filter((r) => r.enabled).map(prepareRule);
    for (const rt of this.rts) this.byId.set(rt.rule.id, rt);
    const ids = new Set<string>(opts.expect ?? []);
    for (const rt of this.rts) for (const id of exactIds(rt.rule.scope)) ids.add(id);
    this.expected = [...ids];
    if (opts.start !== undefined) this.begin(opts.start);
  }

  /** Applies one reading; returns the transitions it caused, ordered by time. */
  push(r: Reading): Transition[] {
    const out: Transition[] = [];
    const stats = this.stats_;
    stats.readings++;
    if (
      typeof r.device !== "string" ||
      typeof r.sensor !== "string" ||
      typeof r.t !== "number" ||
      typeof r.value !== "number" ||
      !Number.isFinite(r.t) ||
      !Number.isFinite(r.value)
    ) {
      stats.invalid++;
      return out;
    }
    if (this.start === undefined) this.begin(r.t);
    if (r.t > this.clock) this.clock = r.t;
    const dev = this.devices.get(r.device) ?? this.addDevice(r.device, r.t);
    const slot = dev.slots.get(r.sensor) ?? this.addSlot(dev, r.sensor);
    if (r.t <= slot.lastT) {
      if (r.t === slot.lastT) stats.duplicates++;
      else stats.late++;
      return out;
    }
    slot.lastT = r.t;
    const bindings = slot.bindings;
    const t = r.t;
    for (let b = 0; b < bindings.length; b++) {
      const bd = bindings[b]!;
      const st = bd.st;
      if (t < st.now) {
        stats.lateForRule++;
        continue;
      }
      stats.evaluations++;
      if (st.next <= t) tick(st, t, out);
      st.now = t;
      const rt = st.rt;
      let changed = -1;
      if (bd.leaf !== undefined) {
        // One leaf of this rule listens to the sensor (the common case).
        if (bd.leaf.push(bd.lstate, r)) changed = bd.index;
      } else {
        const leaves = bd.leaves;
        for (let k = 0; k < leaves.length; k++) {
          const i = leaves[k]!;
          if (rt.leaves[i]!.push(st.ls[i], r) && changed < 0) changed = i;
        }
      }
      if (rt.event) {
        if (changed >= 0) emit(st, "fired", t, [r], out);
        continue;
      }
      const phase = st.phase;
      if (changed >= 0 || !st.primed) {
        st.primed = true;
        const cond = rt.single ? changed >= 0 !== st.cond : rt.tree(st.ls);
        if (cond !== st.cond) {
          const cause =
            changed >= 0 ? rt.leaves[changed]!.cause(st.ls[changed], st.device, r) : [r];
          flip(st, cond, t, cause, out);
        }
      }
      if (rt.timedLeaves.length > 0 || phase !== st.phase) this.schedule(st);
    }
    stats.transitions += out.length;
    if (out.length > 1) this.sort(out);
    return out;
  }

  /**
   * Moves event time to `t`: fires what is due by then (for-durations completing, data
   * going stale, devices never heard from). Returns the transitions, ordered by time.
   */
  advance(t: number): Transition[] {
    const out: Transition[] = [];
    if (!Number.isFinite(t)) return out;
    if (this.start === undefined) this.begin(t);
    if (t > this.clock) this.clock = t;
    for (;;) {
      const e = this.heap.peek();
      if (e === undefined || e.d > t) break;
      this.heap.pop();
      const st = e.st;
      if (e.d !== st.heapKey) continue; // superseded by an earlier entry
      st.heapKey = Infinity;
      if (st.next <= t) tick(st, t, out);
      this.schedule(st);
    }
    this.stats_.transitions += out.length;
    if (out.length > 1) this.sort(out);
    return out;
  }

  /** Starts watching a device that may never report (so stale rules can fire for it). */
  expect(id: string, since?: number): void {
    if (this.start === undefined) {
      if (!this.expected.includes(id)) this.expected.push(id);
      return;
    }
    if (!this.devices.has(id)) this.addDevice(id, since ?? Math.max(this.start, this.clock));
  }

  /**
   * Drops everything known about a device (a decommissioned device, or one whose labels
   * changed: its scopes are resolved again when it next reports). Returns false if unknown.
   */
  forget(id: string): boolean {
    const dev = this.devices.get(id);
    if (!dev) return false;
    for (const st of dev.states) st.heapKey = Number.NaN; // its heap entries no longer match
    this.devices.delete(id);
    return true;
  }

  stats(): EvaluatorStats {
    return { ...this.stats_ };
  }

  /** Rule ids active for a device right now (fired and not yet cleared). */
  active(device: string): string[] {
    const dev = this.devices.get(device);
    if (!dev) return [];
    return dev.states
      .filter((s) => s.phase === Phase.Active || s.phase === Phase.Clearing)
      .map((s) => s.rt.rule.id);
  }

  snapshot(): EvaluatorSnapshot {
    return takeSnapshot(this);
  }

  static restore(rules: RuleSet, snap: EvaluatorSnapshot, opts: EvaluatorOptions = {}): Evaluator {
    const ev = new Evaluator(rules, { ...opts, start: undefined });
    loadSnapshot(ev, snap);
    return ev;
  }

  /** @internal Sets the start time and creates the expected devices (watched from `since`). */
  begin(t: number, since?: number): void {
    this.start = this.opts.start ?? t;
    if (this.start > this.clock) this.clock = this.start;
    for (const id of this.expected)
      if (!this.devices.has(id)) this.addDevice(id, since ?? this.start);
  }

  /** @internal */
  addDevice(id: string, since: number): DeviceEntry {
    const info = this.opts.devices?.(id) ?? { id };
    const states: RuleState[] = [];
    for (const rt of this.rts) if (rt.inScope(info)) states.push(newState(rt, id, since));
    const dev: DeviceEntry = { id, states, slots: new Map() };
    this.devices.set(id, dev);
    for (const st of states) {
      st.computeNext();
      this.schedule(st);
    }
    return dev;
  }

  /** @internal */
  addSlot(dev: DeviceEntry, sensor: string): Slot {
    const bindings: Slot["bindings"] = [];
    for (const st of dev.states) {
      const leaves: number[] = [];
      st.rt.leaves.forEach((l, i) => {
        if (l.sensor === undefined || l.sensor === sensor) leaves.push(i);
      });
      if (leaves.length === 0) continue;
      if (st.rt.leaves.length === 1) bindings.push(st);
      else if (leaves.length === 1) {
        const i = leaves[0]!;
        bindings.push({ st, leaves, leaf: st.rt.leaves[i], lstate: st.ls[i], index: i });
      } else bindings.push({ st, leaves, leaf: undefined, lstate: undefined, index: -1 });
    }
    const slot: Slot = { lastT: -Infinity, bindings };
    dev.slots.set(sensor, slot);
    return slot;
  }

  /** @internal Puts the state in the heap if its next deadline is earlier than its entry. */
  schedule(st: RuleState): void {
    const n = st.computeNext();
    if (n < st.heapKey) {
      st.heapKey = n;
      this.heap.push({ d: n, st });
    }
  }

  /** Canonical order: time, then rule order in the file, then device id. */
  private sort(out: Transition[]): void {
    out.sort(
      (a, b) =>
        a.t - b.t ||
        this.byId.get(a.rule)!.index - this.byId.get(b.rule)!.index ||
        cmp(a.device, b.device),
    );
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
