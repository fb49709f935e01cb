/**
 * Local safety: every reading goes through the rules synchronously, before it is batched for
 * the uplink, so a shutoff never waits on the network or the disk. A gpio action drives its
 * line at once (and latches if the rule says so); every transition is handed to
 * `onTransition` (which turns it into an `events` message in the outbox).
 *
 * Two rule sets, kept apart and both evaluated on every reading:
 * - `local`: the device's own safety rules (its rules file). Set once at start; nothing that
 *   arrives over the network replaces, removes or weakens them.
 * - `cloud`: the rules of the cloud's desired config. A push replaces this set only (one
 *   assignment between two readings; latches survive it). `checkCloudRules` refuses a cloud
 *   set that would drive a line a local rule drives other than to the local rules' level.
 *
 * Readings are evaluated in rule time (`RuleTime`): the reading's time plus an offset that
 * absorbs steps of the wall clock, so a clock set back does not make every reading "late".
 */
import type { Actuators } from "./actuators";
import type { Action, Reading, RulesEngine, Transition } from "./engine";

export type RuleSetName = "local" | "cloud";

export interface ActionOutcome {
  action: Action;
  /** gpio: false when the line was latched and kept its level; all: error text if it failed. */
  applied: boolean;
  error?: string;
}

export interface SafetyOptions {
  actuators: Actuators;
  /** The device this agent is; a transition for any other device drives nothing. */
  device: string;
  /** `t` and cause times are given back in wall-clock time (rule time minus the offset). */
  onTransition(t: Transition, outcomes: ActionOutcome[], set: RuleSetName): void;
  /** A gpio write that changed a line (for metrics: shutoffs). */
  onDrive?(line: string | number, value: 0 | 1, latched: boolean, rule: string): void;
}

export class LocalSafety {
  private local: RulesEngine | undefined;
  private cloud: RulesEngine | undefined;
  /** Rule time = reading time + offset (see RuleTime). */
  private offset = 0;

  constructor(private readonly opts: SafetyOptions) {}

  /** Installs a compiled rule set (or none). Lines a rule names must be configured outputs. */
  use(set: RuleSetName, engine: RulesEngine | undefined): void {
    if (engine) checkLines(engine, this.opts.actuators);
    if (set === "cloud") {
      if (engine && this.local) checkCloudRules(engine, this.local, this.opts.actuators);
      this.cloud = engine;
    } else {
      this.local = engine;
    }
  }

  rules(set: RuleSetName): RulesEngine | undefined {
    return set === "local" ? this.local : this.cloud;
  }

  /** Sets the rule-time offset (RuleTime.offset); readings after this call use it. */
  setOffset(offset: number): void {
    this.offset = offset;
  }

  push(r: Reading): void {
    const x = this.offset === 0 ? r : { ...r, t: r.t + this.offset };
    if (this.local) {
      const ts = this.local.push(x);
      if (ts.length > 0) this.apply(ts, "local");
    }
    if (this.cloud) {
      const ts = this.cloud.push(x);
      if (ts.length > 0) this.apply(ts, "cloud");
    }
  }

  /** Moves rule time to wall-clock time `t` (plus the offset). */
  advance(t: number): void {
    const rt = t + this.offset;
    if (this.local) {
      const ts = this.local.advance(rt);
      if (ts.length > 0) this.apply(ts, "local");
    }
    if (this.cloud) {
      const ts = this.cloud.advance(rt);
      if (ts.length > 0) this.apply(ts, "cloud");
    }
  }

  private apply(ts: Transition[], set: RuleSetName): void {
    for (const t of ts) {
      const outcomes = t.actions.map((a) => this.act(a, t));
      const off = this.offset;
      const wall = off === 0 ? t : { ...t, t: t.t - off, cause: t.cause.map((c) => ({ ...c, t: c.t - off })) };
      this.opts.onTransition(wall, outcomes, set);
    }
  }

  private act(action: Action, t: Transition): ActionOutcome {
    if (action.type !== "gpio") return { action, applied: true };
    // Engines are compiled for this device only; this guard keeps it so for any engine.
    if (t.device !== this.opts.device) return { action, applied: false, error: `not this device (${t.device})` };
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

/**
 * Cloud rules may add to local safety, never weaken it. On a line that a local rule drives
 * (a "safety line"), a cloud rule may only drive the one level the local rules drive it to
 * when they fire, and only latched (so its clearing never moves the line back); a safety line
 * driven to two levels by local rules (e.g. a fan on and off) is off limits to cloud rules.
 * Lines no local rule drives are free. Throws with every violation.
 */
export function checkCloudRules(cloud: RulesEngine, local: RulesEngine, actuators: Actuators): void {
  const safeLevels = new Map<string, Set<number>>();
  for (const rule of local.ruleSet.rules) {
    for (const a of [...rule.actions, ...rule.clearActions]) {
      if (a.type !== "gpio") continue;
      const name = actuators.resolve(a.line) ?? String(a.line);
      const levels = safeLevels.get(name) ?? new Set<number>();
      levels.add(a.value);
      safeLevels.set(name, levels);
    }
  }
  const bad: string[] = [];
  for (const rule of cloud.ruleSet.rules) {
    for (const [kind, actions] of [["actions", rule.actions], ["clear_actions", rule.clearActions]] as const) {
      for (const a of actions) {
        if (a.type !== "gpio") continue;
        const name = actuators.resolve(a.line) ?? String(a.line);
        const levels = safeLevels.get(name);
        if (!levels) continue;
        const [level] = [...levels];
        const why =
          levels.size > 1
            ? `local safety rules drive ${name} to both levels`
            : a.value !== level
              ? `local safety rules drive ${name} to ${level}`
              : kind === "actions" && !a.latch
                ? `a cloud rule may only latch a safety line (latch: true), so that clearing it cannot move ${name}`
                : undefined;
        if (why) bad.push(`cloud rule ${rule.id}: ${kind} gpio ${name}=${a.value} refused: ${why}`);
      }
    }
  }
  if (bad.length > 0) throw new Error([...new Set(bad)].join("\n"));
}
