export { parseRules, loadRulesFile, compileRules } from "./parse.ts";
export { RulesError, formatIssue, type RulesIssue } from "./errors.ts";
export { Evaluator, type EvaluatorOptions, type EvaluatorStats } from "./evaluator.ts";
export { SNAPSHOT_FORMAT, type EvaluatorSnapshot, type StateSnapshot } from "./snapshot.ts";
export { parseDuration, formatDuration } from "./duration.ts";
export { rulesJsonSchema } from "./jsonschema.ts";
export { globToRegExp, compileScope } from "./scope.ts";
export {
  replay,
  parseRecords,
  type ParsedRecords,
  type ReplayRecord,
  type ReplayOptions,
} from "./replay.ts";
export type {
  Reading,
  DeviceInfo,
  Action,
  Transition,
  Severity,
  Rule,
  RuleSet,
  Condition,
  Comparator,
  Scope,
} from "./types.ts";
