import type { LeafEngine } from "./conditions/leaf.ts";
import { rescopeDevice, startEpoch } from "./device-changes.ts";
import { MinHeap } from "./heap.ts";
import { emit, flip, tick } from "./machine.ts";
import { newState, Phase, prepareRule, type RuleRuntime, type RuleState } from "./runtime.ts";
import { exactIds } from "./scope.ts";
import { loadSnapshot, takeSnapshot, type EvaluatorSnapshot } from "./snapshot.ts";
import type { DeviceInfo, Reading, RuleSet, Transition } from "./types.ts";

export interface EvaluatorOptions {
  /** Device registry, used to resolve label scopes when a device is first seen (and again
   *  by `rescope`). */
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
  /** New epochs started for a device (`reboot`, or a reading with a new boot id). */
  reboots: number;
  /** Readings of a device's previous boot arriving after its new boot began: ignored. */
  previousBoot: number;
}

/** @internal */
export const NO_STATS: EvaluatorStats = {
  readings: 0,
  evaluations: 0,
  transitions: 0,
  duplicates: 0,
  late: 0,
  lateForRule: 0,
  invalid: 0,
  reboots: 0,
  previousBoot: 0,
};

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
  /** The device's own event time: its latest reading, or when watching (or its epoch) began.
   *  Its deadlines fall due when this passes them, or when `advance` does. */
  now: number;
  /** Its states' deadlines (lazy: an entry whose time is not its state's `heapKey` is stale). */
  heap: MinHeap<StateEntry>;
  /** Time under which the device sits in the evaluator's heap (a lower bound of its
   *  earliest deadline); Infinity when it has none. */
  heapKey: number;
  /** Boot id of the current epoch (from readings that carry one), and of the one before. */
  boot: string | undefined;
  prevBoot: string | undefined;
}

interface StateEntry {
  d: number;
  st: RuleState;
}
interface DeviceHeapEntry {
  d: number;
  dev: DeviceEntry;
}
const earlier = (a: { d: number }, b: { d: number }) => a.d < b.d;

/**
 * Incremental, event-time rule evaluator. It never reads the wall clock: time moves only
 * with reading timestamps (`push`) and explicit ticks (`advance`). Each device has its own
 * event time (its latest reading): one device's readings never move another device's
 * deadlines; `advance(t)` moves every device's. Work per reading is O(1) per rule whose
 * scope holds the device and whose condition names the sensor.
 */
export class Evaluator {
  /** @internal */ readonly rts: RuleRuntime[];
  /** @internal */ readonly byId = new Map<string, RuleRuntime>();
  /** @internal */ readonly devices = new Map<string, DeviceEntry>();
  /** @internal */ start: number | undefined;
  /** @internal Latest explicit tick (`advance`), or the start: the time every device has reached. */
  clock = -Infinity;
  /** @internal */ stats_: EvaluatorStats = { ...NO_STATS };
  private readonly expected: string[];
  /** Devices by their earliest deadline. */
  private readonly heap = new MinHeap<DeviceHeapEntry>(earlier);

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

  /**
   * Applies one reading; returns the transitions it caused, ordered by time. First, what
   * fell due for that device up to the reading's time happens (its own clock moves on).
   * A reading with a `boot` id other than the device's current one starts a new epoch
   * (see `reboot`); one with the previous boot's id is ignored.
   */
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
    const t = r.t;
    if (this.start === undefined) this.begin(t);
    const dev = this.devices.get(r.device) ?? this.addDevice(r.device, t);
    const boot = r.boot;
    if (boot !== undefined && boot !== dev.boot) {
      if (dev.boot === undefined) dev.boot = boot;
      else if (boot === dev.prevBoot) {
        stats.previousBoot++;
        return out;
      } else {
        startEpoch(this, dev, t);
        dev.prevBoot = dev.boot;
        dev.boot = boot;
      }
    }
    if (t > dev.now) dev.now = t;
    if (dev.heapKey <= t) this.runDue(dev, t, out);
    const slot = dev.slots.get(r.sensor) ?? this.addSlot(dev, r.sensor);
    if (t <= slot.lastT) {
      if (t === slot.lastT) stats.duplicates++;
      else stats.late++;
      this.finish(out);
      return out;
    }
    slot.lastT = t;
    const bindings = slot.bindings;
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
      if (rt.timedLeaves.length > 0 || phase !== st.phase) this.schedule(dev, st);
    }
    this.finish(out);
    return out;
  }

  /**
   * Moves every device's event time to `t` (a clock tick, e.g. wall time in a live system):
   * fires what is due by then (for-durations completing, data going stale, devices never
   * heard from). A decision taken here is final: a reading older than it arriving later is
   * ignored by that rule (`lateForRule`). Returns the transitions, ordered by time.
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
      if (e.d === e.dev.heapKey) this.runDue(e.dev, t, out);
    }
    this.finish(out);
    return out;
  }

  /**
   * Starts a new epoch of event time for a device that rebooted: `t` is the first time of
   * the new epoch (its first reading's). When `t` is earlier than the latest time known for
   * the device (its clock went back), the device's past is shifted to end at `t`: silence
   * timers keep the silence already counted, pending for/clear_for waits keep the time
   * still to wait, every sensor's last time is forgotten (so the new epoch's readings are
   * not late), and rate windows are emptied (the reboot is a gap in the data). Kept in any
   * case: each rule's phase (fired rules stay fired and clear when their condition does),
   * condition and hysteresis state, deadband's last reported value, the device's scopes.
   * When the clock did not go back nothing changes. Readings that carry `boot` ids make
   * this happen by itself.
   */
  reboot(id: string, t: number): void {
    if (!Number.isFinite(t)) return;
    if (this.start === undefined) this.begin(t);
    const dev = this.devices.get(id) ?? this.addDevice(id, t);
    startEpoch(this, dev, t);
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
   * Resolves a device's scopes again from the registry (`devices` option), e.g. after its
   * labels changed. Rules still in scope keep their state; rules that came into scope start
   * afresh, watching from the device's current time; rules that left it are dropped, and
   * one that was fired is cleared now (a `cleared` transition with no cause), so its alert
   * does not stay open. A device not seen yet is resolved when first seen. Returns the
   * transitions.
   */
  rescope(id: string): Transition[] {
    const out: Transition[] = [];
    const dev = this.devices.get(id);
    if (!dev) return out;
    rescopeDevice(this, dev, this.opts.devices?.(id) ?? { id }, out);
    this.finish(out);
    return out;
  }

  /**
   * Drops everything known about a device (a decommissioned device): its timers stop, and
   * its scopes are resolved afresh if it reports again. Returns false if unknown.
   */
  forget(id: string): boolean {
    const dev = this.devices.get(id);
    if (!dev) return false;
    for (const st of dev.states) st.heapKey = Number.NaN; // its heap entries no longer match
    dev.heapKey = Number.NaN;
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

  /** @internal The time a device has reached: its own, or the last tick if later. */
  deviceTime(dev: DeviceEntry): number {
    return Math.max(dev.now, this.clock);
  }

  /** @internal */
  addDevice(id: string, since: number): DeviceEntry {
    const info = this.opts.devices?.(id) ?? { id };
    const states: RuleState[] = [];
    for (const rt of this.rts) if (rt.inScope(info)) states.push(newState(rt, id, since));
    const dev: DeviceEntry = {
      id,
      states,
      slots: new Map(),
      now: since,
      heap: new MinHeap<StateEntry>(earlier),
      heapKey: Infinity,
      boot: undefined,
      prevBoot: undefined,
    };
    this.devices.set(id, dev);
    for (const st of states) this.schedule(dev, st);
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

  /** @internal Puts the state in its device's heap if its next deadline is earlier than its
   *  entry, and the device in the evaluator's heap if that is its earliest. */
  schedule(dev: DeviceEntry, st: RuleState): void {
    const n = st.computeNext();
    if (n < st.heapKey) {
      st.heapKey = n;
      dev.heap.push({ d: n, st });
      if (n < dev.heapKey) {
        dev.heapKey = n;
        this.heap.push({ d: n, dev });
      }
    }
  }

  /** Runs everything due for one device up to and including t, then requeues the device. */
  private runDue(dev: DeviceEntry, t: number, out: Transition[]): void {
    const h = dev.heap;
    for (;;) {
      const e = h.peek();
      if (e === undefined || e.d > t) break;
      h.pop();
      const st = e.st;
      if (e.d !== st.heapKey) continue; // superseded by an earlier entry
      st.heapKey = Infinity;
      if (st.next <= t) tick(st, t, out);
      this.schedule(dev, st);
    }
    // Every deadline left is after t: the device's key is its earliest live entry.
    let n = Infinity;
    for (let e = h.peek(); e !== undefined; e = h.peek()) {
      if (e.d === e.st.heapKey) {
        n = e.d;
        break;
      }
      h.pop();
    }
    if (n !== dev.heapKey) {
      dev.heapKey = n;
      if (n < Infinity) this.heap.push({ d: n, dev });
    }
  }

  /** Counts and orders the transitions of one call. */
  private finish(out: Transition[]): void {
    this.stats_.transitions += out.length;
    if (out.length > 1) this.sort(out);
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
