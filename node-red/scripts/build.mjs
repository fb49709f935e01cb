// Bundles the wire contracts (TypeScript source) into one CommonJS file the nodes require,
// so the nodes speak exactly the topics and payloads the rest of Fieldline does.
import { build } from "esbuild";
import { fileURLToPath } from "node:url";

const here = (p) => fileURLToPath(new URL(p, import.meta.url));

export async function buildContracts() {
  await build({
    entryPoints: [here("../../firmware-contracts/src/index.ts")],
    outfile: here("../lib/contracts.cjs"),
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    external: ["cbor-x", "zod"],
    logLevel: "warning",
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildContracts();
