/**
 * Compiles src/detection/wasm/search.wat into src/detection/wasm/search-wasm.ts (the module's
 * bytes as base64, so the processor needs no compiler and no asset files at run time).
 * `--check` exits 1 when the committed file is not what the source compiles to.
 * Usage: npx tsx cloud-processor/scripts/build-wasm.ts [--check]
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { compileWat } from "./wat.ts";

const dir = join(import.meta.dirname, "../src/detection/wasm");
const out = join(dir, "search-wasm.ts");
const text = moduleText(await compileWat(readFileSync(join(dir, "search.wat"), "utf8")));
if (process.argv.includes("--check")) {
  if (readFileSync(out, "utf8") !== text) {
    console.error(`${out} is stale: run npx tsx cloud-processor/scripts/build-wasm.ts`);
    process.exit(1);
  }
} else {
  writeFileSync(out, text);
}

function moduleText(bytes: Uint8Array): string {
  const b64 = Buffer.from(bytes).toString("base64");
  const lines = b64.match(/.{1,96}/g) ?? [];
  return [
    "// Generated from search.wat by cloud-processor/scripts/build-wasm.ts; do not edit.",
    "export const SEARCH_WASM =",
    ...lines.map((l, i) => `  "${l}"${i === lines.length - 1 ? ";" : " +"}`),
    "",
  ].join("\n");
}
