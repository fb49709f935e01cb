/** Writes firmware-contracts/vectors/{frames,payloads}/*.json from scripts/vectors/{frame,payload}-cases.ts. */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildVectors } from "./vectors/build";

export const VECTORS_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "vectors");

const files = buildVectors();
for (const sub of ["frames", "payloads"]) {
  mkdirSync(join(VECTORS_DIR, sub), { recursive: true });
  for (const f of readdirSync(join(VECTORS_DIR, sub))) {
    if (f.endsWith(".json") && !files.has(`${sub}/${f}`)) rmSync(join(VECTORS_DIR, sub, f));
  }
}
for (const [path, text] of files) writeFileSync(join(VECTORS_DIR, path), text);
console.log(`wrote ${files.size} vectors to ${VECTORS_DIR}`);
