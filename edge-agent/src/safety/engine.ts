/**
 * The rules engine as local safety sees it: readings in, transitions out, nothing else.
 * `compileRules` builds one from rules YAML with @fieldline/rules, for one device: the rules
 * whose scope cannot match this device (its id and labels) are left out, and the others are
 * narrowed to this device, so an agent never evaluates, and never drives an output for,
 * another device (a rule naming `pump-7` would otherwise make boiler-1's agent watch pump-7
 * from the start and fire when it "goes silent"). Tests and benchmarks may pass any object
 * with the `RulesEngine` shape.
 */
import {
  compileScope,
  Evaluator,
  parseRules,
  RulesError,
  formatIssue,
  type DeviceInfo,
  type Reading,
  type RuleSet,
  type Transition,
} from "@fieldline/rules";

export type { Action, DeviceInfo, Reading, Transition } from "@fieldline/rules";

export interface RulesEngine {
  push(r: Reading): Transition[];
  advance(t: number): Transition[];
  /** The rules this device evaluates (scopes narrowed to it). */
  readonly ruleSet: RuleSet;
  /** Rule ids in the file whose scope does not match this device (not evaluated here). */
  readonly skipped: readonly string[];
}

/** Compiles rules YAML for `device`; throws an Error listing every problem (file:line:col). */
export function compileRules(yamlText: string, file: string, device: DeviceInfo): RulesEngine {
  let parsed: RuleSet;
  try {
    parsed = parseRules(yamlText, file);
  } catch (err) {
    if (err instanceof RulesError) throw new Error(err.issues.map(formatIssue).join("\n"));
    throw err;
  }
  const { ruleSet, skipped } = forDevice(parsed, device);
  // Labels reach the evaluator through its registry; the device itself is watched from the
  // start (so a stale rule fires if its sensors never report), no other device is.
  const ev = new Evaluator(ruleSet, {
    devices: (id) => (id === device.id ? device : undefined),
    expect: ruleSet.rules.length > 0 ? [device.id] : [],
  });
  return {
    ruleSet,
    skipped,
    push: (r) => ev.push(r),
    advance: (t) => ev.advance(t),
  };
}

/** The rules of `set` that apply to `device`, each scoped to exactly that device. */
export function forDevice(set: RuleSet, device: DeviceInfo): { ruleSet: RuleSet; skipped: string[] } {
  const kept = [];
  const skipped: string[] = [];
  for (const rule of set.rules) {
    if (!compileScope(rule.scope)(device)) {
      skipped.push(rule.id);
      continue;
    }
    kept.push({ ...rule, scope: { devices: [device.id], ...(rule.scope.labels ? { labels: rule.scope.labels } : {}) } });
  }
  return { ruleSet: { ...set, rules: kept }, skipped };
}
