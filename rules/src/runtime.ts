import { compileCondition, type Tree } from "./conditions/registry.ts";
import type { LeafEngine } from "./conditions/leaf.ts";
import { compileScope } from "./scope.ts";
import type { DeviceInfo, Reading, Rule } from "./types.ts";

/** A rule prepared for evaluation: its leaf engines, boolean tree and scope predicate. */
export interface RuleRuntime {
  rule: Rule;
  index: number;
  leaves: LeafEngine[];
  timedLeaves: number[];
  tree: Tree;
  /** The condition is one threshold/rate/stale leaf: its value is the condition. */
  single: boolean;
  /** Deadband rules report each change as a `fired` event and have no active state. */
  event: boolean;
  inScope: (d: DeviceInfo) => boolean;
  /** Changes when the rule's semantics change; a snapshot's state is kept only if equal. */
  fingerprint: string;
}

export function prepareRule(rule: Rule, index: number): RuleRuntime {
  const { leaves, tree } = compileCondition(rule.when);
  return {
    rule,
    index,
    leaves,
    timedLeaves: leaves.flatMap((l, i) => (l.timed ? [i] : [])),
    tree,
    single: leaves.length === 1 && isLeaf(rule.when),
    event: rule.when.kind === "deadband",
    inScope: compileScope(rule.scope),
    fingerprint: JSON.stringify([rule.when, rule.forMs, rule.clearForMs]),
  };
}

const LEAF_0 = [0];

/** inactive -> pending (waiting `for`) -> active -> clearing (waiting `clear_for`) -> inactive */
export const Phase = { Inactive: 0, Pending: 1, Active: 2, Clearing: 3 } as const;
export type Phase = (typeof Phase)[keyof typeof Phase];

/** Evaluation state of one rule for one device. */
export class RuleState {
  phase: Phase = Phase.Inactive as Phase;
  /** Deadline of the pending fire or clear; Infinity when none. */
  phaseDeadline = Infinity;
  /** Latest event time this state has processed (reading or deadline). */
  now = -Infinity;
  cond = false;
  /** False until the condition was first evaluated (first reading or expiry). */
  primed = false;
  /** Readings that started the pending fire or clear. */
  cause: Reading[] | null = null;
  /** Earliest time at which something happens by itself; Infinity when nothing will. */
  next = Infinity;
  /** Deadline under which this state currently sits in the evaluator's heap. */
  heapKey = Infinity;
  /** Binding fields (see evaluator Slot): a single-leaf rule state routes readings itself,
   *  which saves a separate binding object per state. */
  readonly st: RuleState = this;
  readonly leaves: number[] = LEAF_0;
  readonly index = 0;
  leaf: LeafEngine | undefined;
  lstate: unknown;
  constructor(
    readonly rt: RuleRuntime,
    readonly device: string,
    readonly ls: unknown[],
  ) {
    this.leaf = rt.leaves.length === 1 ? rt.leaves[0] : undefined;
    this.lstate = ls[0];
  }

  /** Replaces a leaf's state (restore). */
  setLeaf(i: number, s: unknown): void {
    this.ls[i] = s;
    if (i === 0) this.lstate = s;
  }

  computeNext(): number {
    let n = this.phaseDeadline;
    for (const i of this.rt.timedLeaves) {
      const d = this.rt.leaves[i]!.deadline(this.ls[i]);
      if (d < n) n = d;
    }
    this.next = n;
    return n;
  }
}

export function newState(rt: RuleRuntime, device: string, since: number): RuleState {
  return new RuleState(
    rt,
    device,
    rt.leaves.map((l) => l.init(since)),
  );
}

function isLeaf(c: Rule["when"]): boolean {
  return c.kind === "threshold" || c.kind === "rate" || c.kind === "stale";
}
