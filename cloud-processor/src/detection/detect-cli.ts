/**
 * detect: runs the default detector over NAB-style CSV files.
 *   npx tsx cloud-processor/src/detection/detect-cli.ts <dataDir> <outDir>
 * Reads <dataDir>/<category>/<file>.csv (timestamp,value) and writes
 * <outDir>/<category>/<file>.csv (timestamp,value,anomaly_score), one fresh detector per file.
 */
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { DetectorFactory } from "./detector.ts";
import { defaultDetector } from "./default.ts";
import { parseCsv, column, parseTimestamp } from "../nab/csv.ts";

/** Scores one CSV text; returns the output CSV text. */
export function detectFile(text: string, factory: DetectorFactory = defaultDetector, path = "csv"): string {
  const table = parseCsv(text);
  const ts = column(table, "timestamp", path);
  const values = column(table, "value", path);
  const det = factory.create();
  const out = ["timestamp,value,anomaly_score"];
  for (let i = 0; i < ts.length; i++) {
    const v = Number(values[i]);
    const s = Number.isFinite(v) ? det.score(parseTimestamp(ts[i]!), v) : 0;
    out.push(`${ts[i]},${values[i]},${s}`);
  }
  return out.join("\n") + "\n";
}

export async function runDetect(argv: string[], factory: DetectorFactory = defaultDetector): Promise<number> {
  if (argv.length !== 2) {
    process.stderr.write("usage: detect <dataDir> <outDir>\n");
    return 2;
  }
  const [dataDir, outDir] = argv as [string, string];
  let files = 0;
  for (const cat of readdirSync(dataDir).sort()) {
    const catDir = join(dataDir, cat);
    if (!statSync(catDir).isDirectory()) continue;
    for (const f of readdirSync(catDir).sort()) {
      if (!f.endsWith(".csv")) continue;
      const src = join(catDir, f);
      mkdirSync(join(outDir, cat), { recursive: true });
      writeFileSync(join(outDir, cat, f), detectFile(readFileSync(src, "utf8"), factory, src));
      files++;
    }
  }
  process.stdout.write(`detect: ${files} files scored with ${factory.name} into ${outDir}\n`);
  return 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  runDetect(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`detect: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
