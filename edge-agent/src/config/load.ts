/**
 * Reads and validates the config file. Every problem is reported at once, each with its
 * path (`inputs[1].path: expected string`), in one ConfigError thrown at start; unknown keys
 * at any depth are problems too, with a "did you mean" (unknown-keys.ts).
 */
import { readFileSync } from "node:fs";
import { parseDocument } from "yaml";
import type { z } from "zod";
import { formatPath } from "./paths";
import { configSchema, type AgentConfig } from "./schema";
import { unknownKeys } from "./unknown-keys";

export class ConfigError extends Error {
  override name = "ConfigError";
  constructor(
    readonly file: string,
    readonly issues: string[],
  ) {
    // One problem: one line (what systemd's journal shows as the reason the unit stopped).
    super(issues.length === 1 ? `${file}: ${issues[0]}` : `${file}: ${issues.length} problems\n  ${issues.join("\n  ")}`);
  }
}

export { formatPath };

export function formatZodIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((i) => `${formatPath(i.path)}: ${i.message}`);
}

export function parseConfig(text: string, file = "config"): AgentConfig {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      file,
      doc.errors.map((e) => `line ${e.linePos?.[0]?.line ?? "?"}: ${e.message.split("\n")[0]}`),
    );
  }
  const raw: unknown = doc.toJS() ?? {};
  const parsed = configSchema.safeParse(raw);
  // Unknown keys are errors too (a misspelt key would otherwise be silently ignored).
  const issues = [...unknownKeys(configSchema, raw), ...(parsed.success ? [] : formatZodIssues(parsed.error.issues))];
  if (issues.length > 0 || !parsed.success) throw new ConfigError(file, issues);
  return parsed.data;
}

export function loadConfig(file: string): AgentConfig {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new ConfigError(file, [`cannot read: ${(err as Error).message}`]);
  }
  return parseConfig(text, file);
}
