/** check-config: the rules file compiled against the configured output lines. */
import { readFileSync } from "node:fs";
import { ConfigError } from "../config/load";
import type { AgentConfig } from "../config/schema";
import type { OutputLine } from "../gpio/chip";
import { Actuators } from "../safety/actuators";
import { checkLines } from "../safety/safety";
import { prepareRules } from "./desired-config";

export function checkRulesFile(cfg: AgentConfig): void {
  const file = cfg.rules.file;
  if (file === undefined) return;
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new ConfigError(file, [`rules.file: cannot read: ${(err as Error).message}`]);
  }
  const placeholder: OutputLine = { set: () => undefined, get: () => 0, release: async () => undefined };
  const outputs = cfg.gpio?.outputs ?? {};
  const actuators = new Actuators(
    new Map(Object.keys(outputs).map((n) => [n, placeholder])),
    Object.fromEntries(Object.entries(outputs).map(([n, o]) => [n, o.line])),
  );
  const p = prepareRules(text, file, { id: cfg.device.id, labels: cfg.device.labels }, (e) => checkLines(e, actuators));
  if (!p.ok) throw new ConfigError(file, p.error.split("\n"));
}
