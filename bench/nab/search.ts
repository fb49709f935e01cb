/**
 * Random search over the detector's parameters on the open NAB subset (development tool).
 * Writes one JSON line per configuration with per-file raw standard scores so that
 * held-out-category estimates can be computed afterwards (see docs/detection.md).
 *   npx tsx bench/nab/search.ts <count> <out.jsonl> [seed]
 */
import { appendFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { loadCorpus, readSeries, scoreCorpus } from "../../cloud-processor/src/nab/index.ts";
import { DEFAULT_PARAMS, EnsembleDetector, type EnsembleParams } from "../../cloud-processor/src/detection/ensemble.ts";

const here = dirname(fileURLToPath(import.meta.url));
const dataDir = join(here, "..", "data", "nab");
const corpus = loadCorpus(dataDir);
const series = corpus.map((f) => readSeries(join(dataDir, f.rel)));

let seed = Number(process.argv[4] ?? 1);
const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)]!;

function sample(): EnsembleParams {
  const step1 = pick([2, 3, 4, 6, 8]);
  return {
    ...DEFAULT_PARAMS,
    scales: [
      { dim: pick([6, 8, 10, 14]), step: 1, ref: 2000, stride: 1, k: pick([1, 2]), predictK: pick([0, 3, 5, 8]) },
      { dim: pick([6, 8, 10, 14]), step: step1, ref: 2000, stride: Math.max(1, step1 >> 1), k: pick([1, 2]), predictK: pick([0, 0, 5]) },
    ],
    likelihood: { short: pick([6, 8, 10, 12]), long: pick([600, 800, 1000, 1200, 1500]), minSd: pick([0.006, 0.008, 0.01, 0.012, 0.015]) },
    spatialTolerance: pick([0.03, 0.05, 0.07]),
    threshold: pick([0.998, 0.999, 0.9995]),
    holdoff: pick([100, 150, 200]),
  };
}

const count = Number(process.argv[2] ?? 10);
const out = process.argv[3] ?? "/tmp/nab-search.jsonl";
for (let c = 0; c < count; c++) {
  const p = c === 0 && seed === 1 ? DEFAULT_PARAMS : sample();
  const files = corpus.map((f, k) => {
    const d = new EnsembleDetector(p);
    const s = series[k]!;
    return { rel: f.rel, windows: f.windows, scores: s.values.map((v, i) => d.score(s.timestamps[i]!, v)) };
  });
  const r = scoreCorpus(files, "standard", p.threshold);
  const perFile = Object.fromEntries(Object.entries(r.perFile).map(([rel, v]) => [rel, v.score]));
  appendFileSync(out, JSON.stringify({ p, score: r.normalized, windows: r.windowsDetected, fp: r.fpPoints, perFile }) + "\n");
}
