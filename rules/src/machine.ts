import { renderMessage } from "./message.ts";
import { Phase, type RuleState } from "./runtime.ts";
import type { Reading, Transition } from "./types.ts";

/*
 * The per-(rule, device) state machine:
 *   inactive --cond--> pending --for elapsed--> active --!cond--> clearing --clear_for elapsed--> inactive
 * with `for: 0` / `clear_for: 0` skipping the waiting phases, a false condition cancelling
 * pending, and a true one cancelling clearing. Deadlines are event times.
 */

/** Processes everything due for one state up to and including time t, in time order. */
export function tick(st: RuleState, t: number, out: Transition[]): void {
  const rt = st.rt;
  while (st.next <= t) {
    const d = st.next;
    if (d > st.now) st.now = d;
    if (st.phaseDeadline <= d) {
      // A duration completing at d completes before anything else happening at d.
      st.phaseDeadline = Infinity;
      const cause = st.cause ?? [];
      st.cause = null;
      if (st.phase === Phase.Pending) {
        st.phase = Phase.Active;
        emit(st, "fired", d, cause, out);
      } else if (st.phase === Phase.Clearing) {
        st.phase = Phase.Inactive;
        emit(st, "cleared", d, cause, out);
      }
    } else {
      let cause: unknown[] | undefined;
      for (const i of rt.timedLeaves) {
        const leaf = rt.leaves[i]!;
        if (leaf.deadline(st.ls[i]) <= d && leaf.expire(st.ls[i]) && cause === undefined)
          cause = leaf.cause(st.ls[i], st.device, undefined);
      }
      if (cause !== undefined) {
        st.primed = true;
        const cond = rt.tree(st.ls);
        if (cond !== st.cond) flip(st, cond, d, cause as Reading[], out);
      }
    }
    st.computeNext();
  }
}

/** The rule's condition changed at time t: run the for / clear_for state machine. */
export function flip(
  st: RuleState,
  cond: boolean,
  t: number,
  cause: Reading[],
  out: Transition[],
): void {
  st.cond = cond;
  const rule = st.rt.rule;
  if (cond) {
    if (st.phase === Phase.Clearing) {
      st.phase = Phase.Active;
      st.phaseDeadline = Infinity;
      st.cause = null;
    } else if (st.phase === Phase.Inactive) {
      if (rule.forMs === 0) {
        st.phase = Phase.Active;
        emit(st, "fired", t, cause, out);
      } else {
        st.phase = Phase.Pending;
        st.phaseDeadline = t + rule.forMs;
        st.cause = cause;
      }
    }
  } else if (st.phase === Phase.Pending) {
    st.phase = Phase.Inactive;
    st.phaseDeadline = Infinity;
    st.cause = null;
  } else if (st.phase === Phase.Active) {
    if (rule.clearForMs === 0) {
      st.phase = Phase.Inactive;
      emit(st, "cleared", t, cause, out);
    } else {
      st.phase = Phase.Clearing;
      st.phaseDeadline = t + rule.clearForMs;
      st.cause = cause;
    }
  }
}

export function emit(
  st: RuleState,
  kind: "fired" | "cleared",
  t: number,
  cause: Reading[],
  out: Transition[],
): void {
  const rule = st.rt.rule;
  const tr: Transition = {
    rule: rule.id,
    device: st.device,
    kind,
    t,
    severity: rule.severity,
    actions: kind === "fired" ? rule.actions : rule.clearActions,
    cause, // the readings themselves: push() keeps references and never mutates them
  };
  if (rule.message !== undefined) tr.message = renderMessage(rule, st.device, kind, t, cause);
  out.push(tr);
}
