/** One problem found in a rules file; line and column are 1-based. */
export interface RulesIssue {
  file: string;
  line: number;
  column: number;
  /** Dotted path inside the document, e.g. `rules[2].when.threshold.above`. */
  path: string;
  message: string;
}

/** Thrown by parseRules/loadRulesFile with every issue found, not only the first. */
export class RulesError extends Error {
  readonly issues: RulesIssue[];
  constructor(issues: RulesIssue[]) {
    super(
      `${issues.length} error${issues.length === 1 ? "" : "s"} in rules:\n` +
        issues.map(formatIssue).join("\n"),
    );
    this.name = "RulesError";
    this.issues = issues;
  }
}

export function formatIssue(i: RulesIssue): string {
  return `${i.file}:${i.line}:${i.column}: ${i.path ? i.path + ": " : ""}${i.message}`;
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path) {
    if (typeof p === "number") out += `[${p}]`;
    else out += (out ? "." : "") + String(p);
  }
  return out;
}
