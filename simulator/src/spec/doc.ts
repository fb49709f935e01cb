/**
 * The fleet spec reference, generated from the zod schemas (field, type, default,
 * description), so the README and `fieldline-sim spec-reference` have one source.
 */
import type { z } from "zod";
import { duration, instant, selector, signedDuration } from "./fields";
import { anomalySchemas, faultSchemas } from "./injections";
import { batch, deviceGroup, fleetSpec, profile, sensor } from "./schema";
import { source } from "./sources";
import { transport } from "./transports";

interface Def {
  type: string;
  innerType?: Schema;
  defaultValue?: unknown;
  in?: Schema;
  out?: Schema;
  options?: Schema[];
  values?: unknown[];
  entries?: Record<string, unknown>;
  element?: Schema;
  valueType?: Schema;
  shape?: Record<string, Schema>;
  getter?: () => Schema;
}
type Schema = z.ZodType & { _zod: { def: Def }; description?: string };

const named = new Map<unknown, string>([
  [(duration as unknown as Schema)._zod.def.out, "duration"],
  [(signedDuration as unknown as Schema)._zod.def.out, "duration (may be negative)"],
  [(instant as unknown as Schema)._zod.def.out, "ISO time or duration after start"],
  [(selector as unknown as Schema)._zod.def.out, "glob or list of globs"],
]);

interface Row {
  field: string;
  type: string;
  default: string;
  description: string;
}

function unwrap(s: Schema): { s: Schema; def?: unknown; optional: boolean; description?: string } {
  let description = s.description;
  let dflt: unknown;
  let optional = false;
  for (;;) {
    const d = s._zod.def;
    if (d.type === "default" || d.type === "prefault") {
      dflt = typeof d.defaultValue === "function" ? (d.defaultValue as () => unknown)() : d.defaultValue;
      s = d.innerType!;
    } else if (d.type === "optional" || d.type === "nullable") {
      optional = true;
      s = d.innerType!;
    } else break;
    description ??= s.description;
  }
  return { s, def: dflt, optional, ...(description !== undefined ? { description } : {}) };
}

function typeName(s: Schema): string {
  const d = s._zod.def;
  if (d.type === "pipe") return named.get(d.out) ?? typeName(d.in!);
  switch (d.type) {
    case "literal":
      return d.values!.map((v) => JSON.stringify(v)).join(" | ");
    case "enum":
      return Object.values(d.entries!).map((v) => JSON.stringify(v)).join(" | ");
    case "union": {
      const names = [...new Set(d.options!.map((o) => typeName(unwrap(o).s)))];
      return names.length === 1 && names[0] === "object" ? "one of the kinds below" : names.join(" | ");
    }
    case "array":
      return `${typeName(unwrap(d.element!).s)}[]`;
    case "record":
      return `map of ${typeName(unwrap(d.valueType!).s)}`;
    case "lazy":
      return "source";
    case "object":
      return "object";
    default:
      return d.type;
  }
}

function showDefault(v: unknown): string {
  if (v && typeof v === "object" && "time" in v) return new Date((v as { time: number }).time).toISOString();
  return JSON.stringify(v);
}

function rows(obj: Schema, prefix = "", skip: string[] = []): Row[] {
  const shape = obj._zod.def.shape ?? {};
  return Object.entries(shape)
    .filter(([k]) => !skip.includes(k))
    .map(([k, v]) => {
      const u = unwrap(v);
      return {
        field: `${prefix}${k}`,
        type: typeName(u.s),
        default: u.def !== undefined ? `\`${showDefault(u.def)}\`` : u.optional ? "" : "**required**",
        description: (u.description ?? "").replace(/\|/g, "\\|"),
      };
    });
}

function table(list: Row[]): string {
  if (list.length === 0) return "No options.";
  const esc = (t: string): string => t.replace(/\|/g, "\\|");
  return ["| field | type | default | description |", "|---|---|---|---|", ...list.map((r) => `| \`${r.field}\` | ${esc(r.type)} | ${r.default} | ${r.description} |`)].join("\n");
}

function variants(union: Schema): Schema[] {
  const d = unwrap(union).s._zod.def;
  return d.type === "lazy" ? (unwrap(d.getter!()).s._zod.def.options ?? []) : (d.options ?? []);
}

function variantName(o: Schema): string {
  const t = unwrap(o._zod.def.shape!.type!).s._zod.def;
  return String(t.values?.[0]);
}

export function specReference(): string {
  const out: string[] = [];
  const top = unwrap(fleetSpec as unknown as Schema).s;
  const root = top._zod.def.type === "pipe" ? top._zod.def.in! : top;
  out.push("### Top level", "", table(rows(root)), "");
  out.push("### `batch`", "", table(rows(unwrap(batch as unknown as Schema).s, "batch.")), "");
  out.push("### `profiles.<name>`", "", table(rows(profile as unknown as Schema)), "");
  out.push("### `profiles.<name>.sensors.<id>`", "", table(rows(sensor as unknown as Schema)), "");
  const group = unwrap(deviceGroup as unknown as Schema).s;
  out.push("### `devices[]`", "", table(rows(group._zod.def.type === "pipe" ? group._zod.def.in! : group)), "");
  out.push("### Sources (`source.type`)", "");
  for (const v of variants(source as unknown as Schema)) out.push(`#### \`${variantName(v)}\``, "", table(rows(v, "", ["type"])), "");
  out.push("### Anomalies (`injections[]`)", "");
  for (const v of Object.values(anomalySchemas)) out.push(`#### \`${variantName(v as unknown as Schema)}\``, "", table(rows(v as unknown as Schema, "", ["type"])), "");
  out.push("### Faults (`injections[]`)", "");
  for (const v of Object.values(faultSchemas)) out.push(`#### \`${variantName(v as unknown as Schema)}\``, "", table(rows(v as unknown as Schema, "", ["type"])), "");
  out.push("### Transports (`transport.type`)", "");
  for (const v of variants(transport as unknown as Schema)) out.push(`#### \`${variantName(v)}\``, "", table(rows(v, "", ["type"])), "");
  return out.join("\n");
}
