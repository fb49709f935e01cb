/**
 * Markdown table of a config schema's fields (type, default, description), rendered from the
 * zod schema itself so the docs have one source. docs/inputs.md embeds one table per input
 * and GPIO backend between `<!-- config:<kind> -->` markers; a test keeps them current.
 */
import { z } from "zod";

type Json = {
  type?: string | string[];
  const?: unknown;
  enum?: unknown[];
  anyOf?: Json[];
  default?: unknown;
  description?: string;
  properties?: Record<string, Json>;
  required?: string[];
  items?: Json;
  additionalProperties?: Json | boolean;
  minimum?: number;
  maximum?: number;
};

export function configTable(schema: z.ZodType): string {
  const root = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as Json;
  const rows = ["| field | type | default | description |", "|---|---|---|---|"];
  walk(root, "", rows);
  return rows.join("\n");
}

function walk(obj: Json, prefix: string, rows: string[]): void {
  const required = new Set(obj.required ?? []);
  for (const [name, p] of Object.entries(obj.properties ?? {})) {
    const path = prefix + name;
    const def =
      p.default !== undefined
        ? "`" + JSON.stringify(p.default) + "`"
        : required.has(name)
          ? "**required**"
          : "";
    rows.push(
      `| \`${path}\` | ${typeOf(p)} | ${def} | ${(p.description ?? "").replace(/\|/g, "\\|")} |`,
    );
    if (p.properties) walk(p, `${path}.`, rows);
    if (p.items?.properties) walk(p.items, `${path}[].`, rows);
  }
}

function typeOf(p: Json): string {
  if (p.const !== undefined) return "`" + JSON.stringify(p.const) + "`";
  if (p.enum) return p.enum.map((e) => "`" + JSON.stringify(e) + "`").join(" \\| ");
  if (p.anyOf) return p.anyOf.map(typeOf).join(" \\| ");
  if (p.type === "array") return `${p.items?.properties ? "object" : typeOf(p.items ?? {})}[]`;
  if (p.type === "object" && p.additionalProperties && typeof p.additionalProperties === "object") {
    return `map of ${typeOf(p.additionalProperties)}`;
  }
  const range =
    p.type === "integer" &&
    (p.minimum !== undefined || p.maximum !== undefined) &&
    (p.maximum ?? 0) < 2 ** 31;
  return `${Array.isArray(p.type) ? p.type.join(" \\| ") : (p.type ?? "any")}${range ? ` ${p.minimum ?? ""}..${p.maximum ?? ""}` : ""}`;
}
