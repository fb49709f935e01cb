import type { DeviceEntry, Evaluator } from "./evaluator.ts";
import { emit } from "./machine.ts";
import { newState, Phase, type RuleState } from "./runtime.ts";
import type { DeviceInfo, Transition } from "./types.ts";

/*
 * What happens to one device's states when the device itself changes: it rebooted (a new
 * epoch of its event time) or its labels changed (its scopes are resolved again).
 */

/** A new epoch for `dev` starting at `t` (see `Evaluator.reboot` for what is kept). */
export function startEpoch(ev: Evaluator, dev: DeviceEntry, t: number): void {
  ev.stats_.reboots++;
  let was = ev.deviceTime(dev);
  for (const st of dev.states) if (st.now > was) was = st.now;
  if (t >= was) return; // the clock did not go back: one continuous time line
  const shift = t - was;
  for (const slot of dev.slots.values()) slot.lastT = -Infinity;
  dev.heap.clear();
  dev.heapKey = Infinity; // entries in the evaluator's heap no longer match
  for (const st of dev.states) {
    st.phaseDeadline += shift;
    st.now += shift;
    st.rt.leaves.forEach((l, i) => l.rebase(st.ls[i], shift));
    st.heapKey = Infinity;
    ev.schedule(dev, st);
  }
  dev.now = t;
}

/** Resolves `dev`'s scopes again for `info` (see `Evaluator.rescope`). */
export function rescopeDevice(
  ev: Evaluator,
  dev: DeviceEntry,
  info: DeviceInfo,
  out: Transition[],
): void {
  const old = new Map(dev.states.map((st) => [st.rt, st]));
  const since = ev.deviceTime(dev);
  const states: RuleState[] = [];
  const added: RuleState[] = [];
  for (const rt of ev.rts) {
    if (!rt.inScope(info)) continue;
    const st = old.get(rt);
    old.delete(rt);
    if (st) states.push(st);
    else {
      const fresh = newState(rt, dev.id, since);
      states.push(fresh);
      added.push(fresh);
    }
  }
  for (const st of old.values()) {
    st.heapKey = Number.NaN; // its heap entries no longer match
    if (st.phase === Phase.Active || st.phase === Phase.Clearing) {
      st.phase = Phase.Inactive;
      emit(st, "cleared", since, [], out);
    }
  }
  dev.states = states;
  // Slots hold the bindings of the old states: build them again, keeping each sensor's time.
  const sensors = [...dev.slots];
  dev.slots = new Map();
  for (const [sensor, slot] of sensors) ev.addSlot(dev, sensor).lastT = slot.lastT;
  for (const st of added) ev.schedule(dev, st);
}
