/**
 * The cloud's desired config (rules YAML + version), applied atomically: compiled and
 * checked first (a bad one changes nothing and is reported with ok:false), then written to
 * `<dataDir>/desired-config.json` (tmp + fsync + rename) so a restart keeps it, then swapped
 * into local safety in one assignment.
 */
import { compileRules, type RulesEngine } from "../safety/engine";

export interface StoredConfig {
  version: number;
  rules: string;
}

export type PrepareOutcome = { ok: true; engine: RulesEngine } | { ok: false; error: string };

/** Compiles and validates rules; `check` adds device-specific checks (configured lines). */
export function prepareRules(yaml: string, file: string, check: (e: RulesEngine) => void): PrepareOutcome {
  try {
    const engine = compileRules(yaml, file);
    check(engine);
    return { ok: true, engine };
  } catch (err) {
    return { ok: false, error: (err as Error).message.slice(0, 1024) };
  }
}
