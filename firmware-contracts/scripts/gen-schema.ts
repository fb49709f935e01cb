/** Writes firmware-contracts/schema/*.json (JSON Schema draft-07) from the zod schemas. */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildJsonSchemas } from "./schema/build";

const dir = join(dirname(fileURLToPath(import.meta.url)), "..", "schema");
const files = await buildJsonSchemas();
mkdirSync(dir, { recursive: true });
for (const f of readdirSync(dir)) if (f.endsWith(".json") && !files.has(f)) rmSync(join(dir, f));
for (const [name, text] of files) writeFileSync(join(dir, name), text);
console.log(`wrote ${files.size} JSON Schemas to ${dir}`);
