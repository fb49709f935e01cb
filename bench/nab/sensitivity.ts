/**
 * One-at-a-time sensitivity of the NAB standard score (fixed threshold) to each parameter
 * of the default detector (development tool; the numbers are quoted in docs/detection.md).
 *   npx tsx bench/nab/sensitivity.ts
 */
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { loadCorpus, readSeries, scoreCorpus } from "../../cloud-processor/src/nab/index.ts";
import { DEFAULT_PARAMS, EnsembleDetector, type EnsembleParams } from "../../cloud-processor/src/detection/ensemble.ts";

const here = dirname(fileURLToPath(import.meta.url));
const dataDir = join(here, "..", "data", "nab");
const corpus = loadCorpus(dataDir);
const series = corpus.map((f) => readSeries(join(dataDir, f.rel)));

function score(p: EnsembleParams): string {
  const files = corpus.map((f, k) => {
    const d = new EnsembleDetector(p);
    const s = series[k]!;
    return { rel: f.rel, windows: f.windows, scores: s.values.map((v, i) => d.score(s.timestamps[i]!, v)) };
  });
  const r = scoreCorpus(files, "standard", p.threshold);
  return `${r.normalized.toFixed(1)} (${r.windowsDetected}/${r.windows} windows, ${r.fpPoints} FP)`;
}

const D = DEFAULT_PARAMS;
const [s0, s1] = D.scales as [EnsembleParams["scales"][0], EnsembleParams["scales"][0]];
const variants: Array<[string, EnsembleParams]> = [
  ["default", D],
  ["threshold 0.998", { ...D, threshold: 0.998 }],
  ["threshold 0.9995", { ...D, threshold: 0.9995 }],
  ["likelihood.long 800", { ...D, likelihood: { ...D.likelihood, long: 800 } }],
  ["likelihood.long 1200", { ...D, likelihood: { ...D.likelihood, long: 1200 } }],
  ["likelihood.short 8", { ...D, likelihood: { ...D.likelihood, short: 8 } }],
  ["likelihood.short 12", { ...D, likelihood: { ...D.likelihood, short: 12 } }],
  ["likelihood.minSd 0.008", { ...D, likelihood: { ...D.likelihood, minSd: 0.008 } }],
  ["likelihood.minSd 0.012", { ...D, likelihood: { ...D.likelihood, minSd: 0.012 } }],
  ["spatialTolerance 0.04", { ...D, spatialTolerance: 0.04 }],
  ["spatialTolerance 0.06", { ...D, spatialTolerance: 0.06 }],
  ["holdoff 100", { ...D, holdoff: 100 }],
  ["holdoff 200", { ...D, holdoff: 200 }],
  ["predictK 3", { ...D, scales: [{ ...s0, predictK: 3 }, s1] }],
  ["predictK 8", { ...D, scales: [{ ...s0, predictK: 8 }, s1] }],
  ["no prediction error", { ...D, scales: [{ ...s0, predictK: 0 }, s1] }],
  ["no second scale", { ...D, scales: [s0] }],
  ["no spatial novelty", { ...D, spatialTolerance: Infinity }],
  ["dim 8 (both scales)", { ...D, scales: [{ ...s0, dim: 8 }, { ...s1, dim: 8 }] }],
  ["dim 12 (both scales)", { ...D, scales: [{ ...s0, dim: 12 }, { ...s1, dim: 12 }] }],
  ["ref 1000", { ...D, scales: [{ ...s0, ref: 1000 }, { ...s1, ref: 1000 }] }],
  ["ref 1500", { ...D, scales: [{ ...s0, ref: 1500 }, { ...s1, ref: 1500 }] }],
  ["ref 3000", { ...D, scales: [{ ...s0, ref: 3000 }, { ...s1, ref: 3000 }] }],
];
console.log("| variant | NAB standard, fixed threshold |\n|---|---|");
for (const [name, p] of variants) console.log(`| ${name} | ${score(p)} |`);
