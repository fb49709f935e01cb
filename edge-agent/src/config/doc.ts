/**
 * The config reference, generated from the zod schemas (config/schema.ts and the input and
 * GPIO registries) so the README never drifts from what the agent accepts.
 */
import { z } from "zod";
import { configSchema } from "./schema";
import { inputRegistry } from "../inputs/registry";
import { gpioRegistry } from "../gpio/registry";

interface JsonSchema {
  type?: string | string[];
  description?: string;
  default?: unknown;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  additionalProperties?: JsonSchema | boolean;
  pattern?: string;
}

function typeOf(s: JsonSchema): string {
  if (s.const !== undefined) return JSON.stringify(s.const);
  if (s.enum) return s.enum.map((e) => JSON.stringify(e)).join(" \\| ");
  const alts = s.anyOf ?? s.oneOf;
  if (alts) return alts.map(typeOf).join(" \\| ");
  if (s.type === "array") return s.items?.anyOf || s.items?.oneOf ? "list (see below)" : `${s.items ? typeOf(s.items) : "any"}[]`;
  if (s.type === "object" && s.additionalProperties && typeof s.additionalProperties === "object") {
    return `map of ${s.additionalProperties.type === "object" ? "object" : typeOf(s.additionalProperties)}`;
  }
  return Array.isArray(s.type) ? s.type.join(" \\| ") : (s.type ?? "any");
}

function rows(s: JsonSchema, prefix: string, out: string[]): void {
  for (const [key, p] of Object.entries(s.properties ?? {})) {
    const path = prefix ? `${prefix}.${key}` : key;
    const required = s.required?.includes(key) && p.default === undefined;
    const def = p.default === undefined ? (required ? "**required**" : "") : `\`${JSON.stringify(p.default)}\``;
    const desc = (p.description ?? "").replace(/\|/g, "\\|").replace(/\n/g, " ");
    out.push(`| \`${path}\` | ${typeOf(p)} | ${def} | ${desc} |`);
    if (p.type === "object" && p.properties) rows(p, path, out);
    if (p.type === "object" && p.additionalProperties && typeof p.additionalProperties === "object" && p.additionalProperties.properties) {
      rows(p.additionalProperties, `${path}.<name>`, out);
    }
  }
}

function table(schema: z.ZodType, title: string, skip: string[] = []): string {
  const js = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as JsonSchema;
  const out: string[] = [];
  rows(js, "", out);
  const kept = out.filter((r) => !skip.some((s) => r.startsWith(`| \`${s}`)));
  return [`#### ${title}`, "", "| field | type | default | description |", "|---|---|---|---|", ...kept, ""].join("\n");
}

export function configDoc(): string {
  const parts = [table(configSchema, "Agent config", ["inputs.", "gpio.chip."])];
  for (const [name, k] of Object.entries(inputRegistry)) parts.push(table(k.schema, `inputs[]: type "${name}"`));
  for (const [name, k] of Object.entries(gpioRegistry)) parts.push(table(k.schema, `gpio.chip: type "${name}"`));
  return parts.join("\n");
}
