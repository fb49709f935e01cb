/**
 * The cloud's desired config (rules YAML + version): the cloud-managed rule set, evaluated
 * beside the device's own safety rules and never instead of them. Applied atomically:
 * compiled for this device and checked first (a bad one changes nothing and is reported with
 * ok:false), then written to `<dataDir>/desired-config.json` (tmp + fsync + rename) so a
 * restart keeps it, then swapped in as the cloud set in one assignment.
 */
import { compileRules, type DeviceInfo, type RulesEngine } from "../safety/engine";

export interface StoredConfig {
  version: number;
  rules: string;
}

export type PrepareOutcome = { ok: true; engine: RulesEngine } | { ok: false; error: string };

/** Compiles rules for `device`; `check` adds device-specific checks (configured lines). */
export function prepareRules(yaml: string, file: string, device: DeviceInfo, check: (e: RulesEngine) => void): PrepareOutcome {
  try {
    const engine = compileRules(yaml, file, device);
    check(engine);
    return { ok: true, engine };
  } catch (err) {
    return { ok: false, error: (err as Error).message.slice(0, 1024) };
  }
}
