import { readFile } from "node:fs/promises";
import {
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  Scalar,
  visit,
  type Document,
  type Node,
  type Pair,
} from "yaml";
import type { z } from "zod";
import { formatPath, RulesError, type RulesIssue } from "./errors.ts";
import { FileSchema, RuleSchema } from "./schema.ts";
import type { Rule, RuleSet } from "./types.ts";

/**
 * Parses and validates a rules file. Every problem is collected (YAML syntax, schema,
 * duplicate ids) and thrown together as one RulesError with file, line and column.
 * JSON is YAML too, so a JSON rules document parses here as well.
 */
export function parseRules(yamlText: string, file = "<rules>"): RuleSet {
  const lineCounter = new LineCounter();
  const doc = parseDocument(yamlText, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const issues: RulesIssue[] = [];
  const at = (offset: number) => lineCounter.linePos(offset);

  for (const e of [...doc.errors, ...doc.warnings]) {
    const { line, col } = at(e.pos[0]);
    issues.push({ file, line, column: col, path: "", message: e.message.split("\n")[0]! });
  }
  if (doc.errors.length > 0) throw new RulesError(issues);

  const locate = (path: readonly PropertyKey[], key?: string): { line: number; column: number } => {
    const offset = offsetOf(doc, path, key);
    const { line, col } = at(offset);
    return { line, column: col };
  };
  // An alias with no anchor before it: reported where it stands, and read as null so the
  // rest of the file is still checked (issues about the null itself are not repeated).
  const aliases: string[] = [];
  visit(doc, {
    Alias(_key, node, ancestors) {
      if (node.resolve(doc) !== undefined) return undefined;
      const path = formatPath(pathTo(ancestors, node));
      const { line, col } = at(node.range?.[0] ?? 0);
      issues.push({
        file,
        line,
        column: col,
        path,
        message: `unresolved alias *${node.source}: no anchor &${node.source} is set before it`,
      });
      aliases.push(path);
      return new Scalar(null);
    },
  });
  const underAlias = (p: string) =>
    aliases.some((a) => p === a || p.startsWith(`${a}.`) || p.startsWith(`${a}[`));

  const add = (path: readonly PropertyKey[], issue: z.core.$ZodIssue) => {
    for (const i of fittingBranch(issue)) {
      const full = [...path, ...i.path];
      const key = i.code === "unrecognized_keys" ? i.keys[0] : undefined;
      const where = formatPath(key ? [...full, key] : full);
      if (underAlias(formatPath(full))) continue;
      issues.push({ file, ...locate(full, key), path: where, message: messageOf(i) });
    }
  };

  let data: unknown;
  try {
    data = doc.toJS();
  } catch (e) {
    // e.g. an alias expanding past the YAML library's limit
    issues.push({ file, line: 1, column: 1, path: "", message: (e as Error).message });
    throw new RulesError(issues);
  }
  const top = FileSchema.safeParse(data ?? {});
  if (!top.success) {
    for (const i of top.error.issues) add([], i);
    throw new RulesError(issues);
  }

  const rules: Rule[] = [];
  const seen = new Map<string, number>();
  top.data.rules.forEach((raw, i) => {
    const path = ["rules", i];
    const id = (raw as { id?: unknown } | null)?.id;
    if (typeof id === "string") {
      const first = seen.get(id);
      if (first !== undefined) {
        issues.push({
          file,
          ...locate([...path, "id"]),
          path: formatPath([...path, "id"]),
          message: `duplicate rule id "${id}" (first defined at line ${locate(["rules", first, "id"]).line})`,
        });
      } else seen.set(id, i);
    }
    const r = RuleSchema.safeParse(raw);
    if (!r.success) {
      for (const issue of r.error.issues) add(path, issue);
      return;
    }
    rules.push({ ...r.data, source: { file, ...locate(path) } });
  });
  if (issues.length > 0) throw new RulesError(issues);
  return { file, rules };
}

/**
 * Validates rules that arrive as data (e.g. desired config decoded from JSON or CBOR).
 * Issues point into the data pretty-printed as JSON, and carry their path.
 */
export function compileRules(data: unknown, file = "<rules>"): RuleSet {
  return parseRules(JSON.stringify(data ?? null, null, 2), file);
}

/** Reads and parses a rules file; errors carry the file path. */
export async function loadRulesFile(path: string): Promise<RuleSet> {
  return parseRules(await readFile(path, "utf8"), path);
}

/**
 * When no option of a union fits, zod reports one generic issue holding each option's
 * issues. If exactly one option fits the value's shape (all its issues are inside the
 * value, none about the value itself), its issues are the precise ones: a gpio action with
 * `value: 2` is `gpio.value: expected 0 or 1`, not "expected an action".
 */
function fittingBranch(issue: z.core.$ZodIssue): z.core.$ZodIssue[] {
  if (issue.code !== "invalid_union") return [issue];
  const fits = issue.errors.filter((b) => b.length > 0 && b.every((i) => i.path.length > 0));
  if (fits.length !== 1) return [issue];
  return fits[0]!.flatMap((i) => fittingBranch({ ...i, path: [...issue.path, ...i.path] }));
}

/** Keys and indexes from the document root down to `node`. */
function pathTo(ancestors: readonly (Document | Node | Pair)[], node: unknown): PropertyKey[] {
  const out: PropertyKey[] = [];
  ancestors.forEach((a, i) => {
    const child = ancestors[i + 1] ?? node;
    if (isSeq(a)) out.push(a.items.indexOf(child));
    else if (isPair(a) && a.value === child && isScalar(a.key)) out.push(String(a.key.value));
  });
  return out;
}

function messageOf(issue: z.core.$ZodIssue): string {
  if (issue.code === "unrecognized_keys") return `unknown field "${issue.keys.join('", "')}"`;
  if (issue.code === "invalid_union" && issue.message === "Invalid input") return "invalid value";
  return issue.message.replace(/^Invalid input: /, "");
}

/** Source offset of the node at `path` (or of `key` inside it), falling back to the nearest parent. */
function offsetOf(doc: Document, path: readonly PropertyKey[], key?: string): number {
  let node: unknown = doc.contents;
  let best = rangeStart(node) ?? 0;
  for (const seg of path) {
    let next: unknown;
    if (isMap(node)) {
      const pair = node.items.find(
        (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg),
      );
      next = pair?.value ?? pair?.key;
    } else if (isSeq(node) && typeof seg === "number") {
      next = node.items[seg];
    }
    if (next === undefined || next === null) return best;
    node = next;
    best = rangeStart(node) ?? best;
  }
  if (key !== undefined && isMap(node)) {
    const pair = node.items.find(
      (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === key,
    );
    return rangeStart(pair?.key) ?? best;
  }
  return best;
}

function rangeStart(node: unknown): number | undefined {
  return (node as Node | undefined)?.range?.[0];
}
