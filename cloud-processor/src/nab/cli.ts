/**
 * nab-score: scores a results folder the way NAB does.
 *   npx tsx cloud-processor/src/nab/cli.ts <dataDir> <resultsDir> [--threshold T] [--json FILE]
 */
import { writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { scoreResultsDir } from "./results.ts";
import { formatReport } from "./format.ts";

export async function runNabScore(argv: string[]): Promise<number> {
  const pos: string[] = [];
  let threshold: number | undefined;
  let json: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--threshold") threshold = Number(argv[++i]);
    else if (a === "--json") json = argv[++i];
    else pos.push(a);
  }
  if (pos.length !== 2 || (threshold !== undefined && Number.isNaN(threshold))) {
    process.stderr.write("usage: nab-score <dataDir> <resultsDir> [--threshold T] [--json FILE]\n");
    return 2;
  }
  const reports = scoreResultsDir({ dataDir: pos[0]!, resultsDir: pos[1]!, threshold });
  process.stdout.write(formatReport(reports));
  if (json) writeFileSync(json, JSON.stringify(reports, null, 1));
  return 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  runNabScore(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`nab-score: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
