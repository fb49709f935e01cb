/**
 * Unknown keys anywhere in the config file, with a "did you mean" from the sibling keys the
 * schema knows. zod strips unknown keys by default, so a misspelt `usrname` or `outbx` would
 * otherwise do nothing, silently. The walk follows the schema's JSON Schema (the same one the
 * README table is generated from): objects by their properties, maps by their value schema,
 * lists by their items, and a discriminated union by the branch the value's `type` names.
 */
import { z } from "zod";
import { formatPath } from "./paths";

interface Node {
  type?: string | string[];
  properties?: Record<string, Node>;
  additionalProperties?: Node | boolean;
  items?: Node;
  anyOf?: Node[];
  oneOf?: Node[];
  const?: unknown;
}

const cache = new WeakMap<z.ZodType, Node>();

/** Every unknown key in `value` as `path: unknown key "x" (did you mean "y"?)`. */
export function unknownKeys(schema: z.ZodType, value: unknown): string[] {
  let root = cache.get(schema);
  if (!root) {
    root = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as Node;
    cache.set(schema, root);
  }
  const out: string[] = [];
  walk(root, value, [], out);
  return out;
}

function walk(node: Node, value: unknown, path: PropertyKey[], out: string[]): void {
  const alts = node.anyOf ?? node.oneOf;
  if (alts) {
    const branch = pickBranch(alts, value);
    if (branch) walk(branch, value, path, out);
    return;
  }
  if (Array.isArray(value)) {
    if (node.items) value.forEach((v, i) => walk(node.items!, v, [...path, i], out));
    return;
  }
  if (value === null || typeof value !== "object") return;
  const obj = value as Record<string, unknown>;
  if (node.properties) {
    const known = Object.keys(node.properties);
    for (const [k, v] of Object.entries(obj)) {
      const child = node.properties[k];
      if (child) walk(child, v, [...path, k], out);
      else if (typeof node.additionalProperties === "object") walk(node.additionalProperties, v, [...path, k], out);
      else if (node.additionalProperties !== true) out.push(`${formatPath([...path, k])}: unknown key "${k}"${suggest(k, known)}`);
    }
  } else if (typeof node.additionalProperties === "object") {
    for (const [k, v] of Object.entries(obj)) walk(node.additionalProperties, v, [...path, k], out);
  }
}

/** The union branch for this value: objects by their `type` literal, else the only object branch. */
function pickBranch(alts: Node[], value: unknown): Node | undefined {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return alts.find((a) => (Array.isArray(value) ? a.type === "array" : false));
  }
  const objects = alts.filter((a) => a.properties || a.type === "object");
  const type = (value as { type?: unknown }).type;
  const byType = objects.find((a) => a.properties?.type?.const !== undefined && a.properties.type.const === type);
  if (byType) return byType;
  // A union of object shapes without a matching discriminator: zod reports the type; no guess.
  return objects.length === 1 ? objects[0] : undefined;
}

function suggest(key: string, known: string[]): string {
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const d = levenshtein(key.toLowerCase(), k.toLowerCase());
    if (d < bestD) [best, bestD] = [k, d];
  }
  // Close enough to be a typo: at most a third of the longer name (and at least 1 edit).
  if (best === undefined || bestD > Math.max(1, Math.floor(Math.max(key.length, best.length) / 3))) {
    return known.length > 0 ? ` (known: ${known.join(", ")})` : "";
  }
  return ` (did you mean "${best}"?)`;
}

/** Edit distance with adjacent transpositions (optimal string alignment): "usrname" -> 1, "lnies" -> 1. */
export function levenshtein(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}
