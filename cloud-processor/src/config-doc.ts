/** Generates the configuration reference (README table) from the zod schema: one source. */
import { z } from "zod";
import { configSchema, sinkSchema } from "./config.ts";

interface Row {
  path: string;
  type: string;
  def: string;
  desc: string;
}

function unwrap(s: z.ZodType): { inner: z.ZodType; def: unknown; desc: string | undefined } {
  let cur: z.ZodType = s;
  let def: unknown;
  let desc = cur.description;
  for (;;) {
    if (cur instanceof z.ZodDefault || cur instanceof z.ZodPrefault) {
      if (def === undefined) def = (cur.def as { defaultValue: unknown }).defaultValue;
      cur = cur.def.innerType as z.ZodType;
    } else if (cur instanceof z.ZodOptional) {
      cur = cur.def.innerType as z.ZodType;
    } else break;
    desc ??= cur.description;
  }
  return { inner: cur, def, desc };
}

function typeName(s: z.ZodType): string {
  if (s instanceof z.ZodEnum) return (s.options as string[]).join(" \\| ");
  if (s instanceof z.ZodLiteral) return JSON.stringify(s.value);
  return s.def.type;
}

function walk(s: z.ZodType, path: string, rows: Row[]): void {
  const { inner, def, desc } = unwrap(s);
  if (inner instanceof z.ZodObject && path !== "sink") {
    for (const [k, v] of Object.entries(inner.shape)) walk(v as z.ZodType, path ? `${path}.${k}` : k, rows);
    return;
  }
  rows.push({
    path,
    type: typeName(inner),
    def: def === undefined ? "" : `\`${JSON.stringify(def)}\``,
    desc: desc ?? "",
  });
}

export function configReference(): string {
  const rows: Row[] = [];
  walk(configSchema, "", rows);
  const out = ["| field | type | default | description |", "|---|---|---|---|"];
  for (const r of rows) if (r.path !== "sink") out.push(`| \`${r.path}\` | ${r.type} | ${r.def} | ${r.desc} |`);
  out.push("", "`sink` (pick one by `type`):", "", "| sink.type | field | type | default | description |", "|---|---|---|---|---|");
  for (const opt of sinkSchema.options) {
    const t = String(opt.shape.type.value);
    for (const [k, v] of Object.entries(opt.shape)) {
      const { inner, def, desc } = unwrap(v as z.ZodType);
      out.push(`| ${t} | \`${k}\` | ${typeName(inner)} | ${def === undefined ? "" : `\`${JSON.stringify(def)}\``} | ${desc ?? ""} |`);
    }
  }
  return out.join("\n") + "\n";
}
