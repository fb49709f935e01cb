/**
 * Parameter study on the open NAB subset (development tool; the benchmark is run.ts).
 *   npx tsx bench/nab/tune.ts '{"holdoff":300}'
 */
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { loadCorpus, readSeries, scoreCorpus } from "../../cloud-processor/src/nab/index.ts";
import { DEFAULT_PARAMS, EnsembleDetector, type EnsembleParams } from "../../cloud-processor/src/detection/ensemble.ts";

const here = dirname(fileURLToPath(import.meta.url));
const dataDir = join(here, "..", "data", "nab");
const corpus = loadCorpus(dataDir);
const series = corpus.map((f) => readSeries(join(dataDir, f.rel)));

function merge<T>(a: T, b: unknown): T {
  if (typeof b !== "object" || b === null || Array.isArray(b)) return b as T;
  const out = { ...(a as Record<string, unknown>) };
  for (const [k, v] of Object.entries(b as Record<string, unknown>)) out[k] = merge(out[k], v);
  return out as T;
}

const p: EnsembleParams = merge(DEFAULT_PARAMS, JSON.parse(process.argv[2] ?? "{}"));
const t0 = performance.now();
const files = corpus.map((f, k) => {
  const d = new EnsembleDetector(p);
  const s = series[k]!;
  const scores = s.values.map((v, i) => {
    const sc = d.score(s.timestamps[i]!, v);
    if (sc >= p.threshold && process.argv.includes("-c")) {
      const w = f.windows.findIndex(([a, b]) => i >= a && i <= b);
      const pos = w >= 0 ? ((i - f.windows[w]![0]) / (f.windows[w]![1] - f.windows[w]![0] + 1)).toFixed(2) : "FP";
      console.log(`${f.rel} row ${i}/${s.values.length} ${d.cause} ${w >= 0 ? "win" + w : ""} ${pos}`);
    }
    return sc;
  });
  return { rel: f.rel, windows: f.windows, scores };
});
const ms = performance.now() - t0;
const fixed = scoreCorpus(files, "standard", p.threshold);
const oracle = scoreCorpus(files, "standard");
const verbose = process.argv.includes("-v");
if (verbose)
  for (const [rel, c] of Object.entries(fixed.perFile))
    console.log(`${rel.padEnd(56)} ${c.score.toFixed(3).padStart(7)} win ${c.windowsDetected}/${c.windowsScored} fp ${c.fp}`);
const lp = scoreCorpus(files, "reward_low_FP_rate", p.threshold).normalized;
const lf = scoreCorpus(files, "reward_low_FN_rate", p.threshold).normalized;
console.log(
  `fixed ${fixed.normalized.toFixed(2)} (lowFP ${lp.toFixed(2)} lowFN ${lf.toFixed(2)}) win ${fixed.windowsDetected}/${fixed.windows} fp ${fixed.fpPoints} | oracle ${oracle.normalized.toFixed(2)} @ ${oracle.threshold.toFixed(5)} | ${((ms * 1000) / 109998).toFixed(1)} us/pt`,
);

// Optional plot of chosen files: --plot file1,file2 (substring match) -> /tmp/nab-tune.png
const plotArg = process.argv.indexOf("--plot");
if (plotArg > 0) {
  const { renderSvg } = await import("./plot.ts");
  const { probationLength } = await import("../../cloud-processor/src/nab/index.ts");
  const { writeFileSync } = await import("node:fs");
  const { execFileSync } = await import("node:child_process");
  const want = (process.argv[plotArg + 1] ?? "").split(",");
  const panels = files
    .map((f, k) => ({ f, s: series[k]! }))
    .filter(({ f }) => want.some((w) => f.rel.includes(w)))
    .map(({ f, s }) => ({ title: f.rel, values: s.values, scores: f.scores, windows: f.windows, probation: probationLength(s.values.length), threshold: p.threshold }));
  writeFileSync("/tmp/nab-tune.svg", renderSvg(panels, "tuning"));
  execFileSync("rsvg-convert", ["-o", "/tmp/nab-tune.png", "/tmp/nab-tune.svg"]);
}
