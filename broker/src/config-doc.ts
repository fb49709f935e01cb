/**
 * The config reference table in broker/README.md, generated from the zod schema so the docs
 * have one source. `npx tsx broker/src/config-doc.ts` prints it, `--write` updates the
 * README; a test checks the README.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { z } from "zod";
import { configSchema } from "./config.ts";

interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  default?: unknown;
  description?: string;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  anyOf?: JsonSchema[];
  required?: string[];
}

function rows(s: JsonSchema, path: string, required: boolean, out: string[]): void {
  const node = s.anyOf?.find((x) => x.type !== "null") ?? s;
  if (node.properties) {
    if (node.description && path) out.push(`| \`${path}\` | object | | ${node.description} |`);
    const req = new Set(node.required ?? []);
    for (const [k, v] of Object.entries(node.properties)) rows(v, path ? `${path}.${k}` : k, req.has(k), out);
    return;
  }
  let type = node.enum ? node.enum.map((e) => JSON.stringify(e)).join(" \\| ") : String(node.type ?? "");
  if (node.type === "integer" || node.type === "number") {
    const max = node.maximum !== undefined && node.maximum < Number.MAX_SAFE_INTEGER ? node.maximum : undefined;
    if (node.minimum !== undefined) type += max !== undefined ? ` ${node.minimum}-${max}` : ` ≥ ${node.minimum}`;
  }
  const dflt = node.default !== undefined ? `\`${JSON.stringify(node.default)}\`` : required ? "**required**" : "";
  out.push(`| \`${path}\` | ${type} | ${dflt} | ${node.description ?? ""} |`);
}

export function configReference(): string {
  const schema = z.toJSONSchema(configSchema, { io: "input", unrepresentable: "any" }) as JsonSchema;
  const out = ["| key | type | default | meaning |", "|---|---|---|---|"];
  rows(schema, "", true, out);
  return out.join("\n");
}

const MARKERS = /<!-- config-reference:start -->\n[\s\S]*?<!-- config-reference:end -->/;

if (import.meta.url === `file://${process.argv[1]}`) {
  if (process.argv.includes("--write")) {
    const readme = new URL("../README.md", import.meta.url);
    const block = `<!-- config-reference:start -->\n${configReference()}\n<!-- config-reference:end -->`;
    writeFileSync(readme, readFileSync(readme, "utf8").replace(MARKERS, block));
  } else process.stdout.write(configReference() + "\n");
}
