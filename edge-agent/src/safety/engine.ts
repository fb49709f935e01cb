/**
 * The rules engine as local safety sees it: readings in, transitions out, nothing else.
 * `rulesEngine` builds one from rules YAML with @fieldline/rules; tests and benchmarks may
 * pass any object with this shape.
 */
import { Evaluator, parseRules, RulesError, formatIssue, type Reading, type RuleSet, type Transition } from "@fieldline/rules";

export type { Action, Reading, Transition } from "@fieldline/rules";

export interface RulesEngine {
  push(r: Reading): Transition[];
  advance(t: number): Transition[];
  readonly ruleSet: RuleSet;
}

/** Compiles rules YAML; throws an Error listing every problem (file:line:col). */
export function compileRules(yamlText: string, file = "<rules>"): RulesEngine {
  let ruleSet: RuleSet;
  try {
    ruleSet = parseRules(yamlText, file);
  } catch (err) {
    if (err instanceof RulesError) throw new Error(err.issues.map(formatIssue).join("\n"));
    throw err;
  }
  const ev = new Evaluator(ruleSet);
  return {
    ruleSet,
    push: (r) => ev.push(r),
    advance: (t) => ev.advance(t),
  };
}
