/**
 * Local safety: every reading goes through the rules engine synchronously, before it is
 * batched for the uplink, so a shutoff never waits on the network or the disk. A gpio action
 * drives its line at once (and latches if the rule says so); every transition is handed to
 * `onTransition` (which turns it into an `events` message in the outbox).
 *
 * The engine can be replaced atomically (a new desired config): the swap is one assignment
 * between two readings; latches survive it.
 */
import type { Actuators } from "./actuators";
import type { Action, Reading, RulesEngine, Transition } from "./engine";

export interface ActionOutcome {
  action: Action;
  /** gpio: false when the line was latched and kept its level; all: error text if it failed. */
  applied: boolean;
  error?: string;
}

export interface SafetyOptions {
  actuators: Actuators;
  onTransition(t: Transition, outcomes: ActionOutcome[]): void;
  /** A gpio write that changed a line (for metrics: shutoffs). */
  onDrive?(line: string | number, value: 0 | 1, latched: boolean, rule: string): void;
}

export class LocalSafety {
  private engine: RulesEngine | undefined;

  constructor(private readonly opts: SafetyOptions) {}

  /** Installs a compiled rule set (or none). Lines a rule names must be configured outputs. */
  use(engine: RulesEngine | undefined): void {
    if (engine) checkLines(engine, this.opts.actuators);
    this.engine = engine;
  }

  get rules(): RulesEngine | undefined {
    return this.engine;
  }

  push(r: Reading): void {
    if (!this.engine) return;
    const ts = this.engine.push(r);
    if (ts.length > 0) this.apply(ts);
  }

  advance(t: number): void {
    if (!this.engine) return;
    const ts = this.engine.advance(t);
    if (ts.length > 0) this.apply(ts);
  }

  private apply(ts: Transition[]): void {
    for (const t of ts) {
      const outcomes = t.actions.map((a) => this.act(a, t));
      this.opts.onTransition(t, outcomes);
    }
  }

  private act(action: Action, t: Transition): ActionOutcome {
    if (action.type !== "gpio") return { action, applied: true };
    try {
      const latch = action.latch && t.kind === "fired";
      const applied = this.opts.actuators.drive(action.line, action.value, latch, t.rule);
      if (applied) this.opts.onDrive?.(action.line, action.value, latch, t.rule);
      return { action, applied };
    } catch (err) {
      return { action, applied: false, error: (err as Error).message };
    }
  }
}

/** Throws if a gpio action names a line that is not a configured output. */
export function checkLines(engine: RulesEngine, actuators: Actuators): void {
  const bad: string[] = [];
  for (const rule of engine.ruleSet.rules) {
    for (const a of [...rule.actions, ...rule.clearActions]) {
      if (a.type === "gpio" && actuators.resolve(a.line) === undefined) {
        bad.push(`rule ${rule.id}: gpio line ${JSON.stringify(a.line)} is not in gpio.outputs`);
      }
    }
  }
  if (bad.length > 0) throw new Error([...new Set(bad)].join("\n"));
}
