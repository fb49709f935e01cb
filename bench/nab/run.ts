/**
 * NAB benchmark of the default detector, end to end:
 *   npx tsx --expose-gc bench/nab/run.ts
 * 1. `detect` over bench/data/nab (the NAB open subset) into a temp results folder;
 * 2. NAB scoring of that folder, three profiles, at ALERT_THRESHOLD (fixed in code) and at
 *    NAB's oracle threshold (best on this corpus, as the published numbers use);
 * 3. the same for a reference detector (NAB's windowed Gaussian) run side by side;
 * 4. cost: microseconds per point and bytes per series;
 * 5. bench/results/nab.json and a plot, bench/results/nab.png (needs rsvg-convert).
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ALERT_THRESHOLD, defaultDetector, lightDetector, runDetect, type DetectorFactory } from "../../cloud-processor/src/detection/index.ts";
import { loadCorpus, PROFILE_NAMES, probationLength, readScores, readSeries, resultsPath, scoreCorpus, type ProfileReport } from "../../cloud-processor/src/nab/index.ts";
import { arenaLiveBytes } from "../../cloud-processor/src/detection/wasm/arena.ts";
import { renderSvg } from "./plot.ts";
import { windowedGaussian } from "./reference.ts";

const here = dirname(fileURLToPath(import.meta.url));
const dataDir = join(here, "..", "data", "nab");
const outDir = join(here, "..", "results");

// Published standard-profile scores on this open subset (oracle threshold), data/nab/README.md.
const PUBLISHED: Array<[string, number]> = [
  ["ARTime", 75.4],
  ["Numenta HTM", 68.5],
  ["CAD OSE", 67.5],
  ["KNN CAD", 65.3],
  ["Random Cut Forest", 50.3],
  ["Relative Entropy", 47.4],
  ["earthgecko Skyline", 45.3],
  ["Twitter ADVec", 36.7],
  ["Etsy Skyline", 33.4],
  ["Bayesian Changepoint", 28.0],
  ["Windowed Gaussian", 27.6],
];

const corpus = loadCorpus(dataDir);
const series = corpus.map((f) => readSeries(join(dataDir, f.rel)));
const points = series.reduce((a, s) => a + s.values.length, 0);

async function detectAndScore(factory: DetectorFactory, threshold: number) {
  const tmp = mkdtempSync(join(tmpdir(), "nab-bench-"));
  try {
    const results = join(tmp, factory.name);
    const log = process.stdout.write.bind(process.stdout);
    process.stdout.write = () => true;
    try {
      if ((await runDetect([dataDir, results], factory)) !== 0) throw new Error("detect failed");
    } finally {
      process.stdout.write = log;
    }
    const files = corpus.map((f) => ({ rel: f.rel, windows: f.windows, scores: readScores(resultsPath(results, f.rel), f.timestamps.length) }));
    const fixed: Record<string, ProfileReport> = {};
    const oracle: Record<string, ProfileReport> = {};
    for (const p of PROFILE_NAMES) {
      fixed[p] = scoreCorpus(files, p, threshold);
      oracle[p] = scoreCorpus(files, p);
    }
    return { files, fixed, oracle };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * Detector time alone (no CSV I/O): CPU microseconds of this process per point, best of
 * three passes over the corpus. CPU time rather than wall time because the machine is
 * shared: it is what one core spends.
 */
function microsPerPoint(factory: DetectorFactory): number {
  let best = Infinity;
  for (let rep = 0; rep < 3; rep++) {
    const c0 = process.cpuUsage();
    for (const s of series) {
      const d = factory.create();
      for (let i = 0; i < s.values.length; i++) d.score(s.timestamps[i]!, s.values[i]!);
    }
    const c = process.cpuUsage(c0);
    best = Math.min(best, (c.user + c.system) / points);
  }
  return best;
}

/**
 * Memory per live series (needs --expose-gc): JavaScript heap, array buffers and the k-NN
 * arrays in the WebAssembly arena; and checkpoint bytes (JSON snapshot).
 */
async function bytesPerSeries(factory: DetectorFactory): Promise<{ heap: number | null; checkpoint: number }> {
  const gc = (globalThis as { gc?: () => void }).gc;
  const s = series.find((x) => x.values.length >= 4000)!;
  const feed = (d: ReturnType<DetectorFactory["create"]>) => {
    for (let i = 0; i < 4000; i++) d.score(s.timestamps[i]!, s.values[i]!);
  };
  const one = factory.create();
  feed(one);
  const checkpoint = JSON.stringify(one.snapshot()).length;
  if (!gc) return { heap: null, checkpoint };
  const n = 100;
  // ArrayBuffer backing stores are released after the collection: settle before measuring.
  const settle = async () => {
    for (let i = 0; i < 3; i++) {
      gc();
      await new Promise((r) => setTimeout(r, 30));
    }
  };
  await settle();
  const used = () => process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers + arenaLiveBytes();
  const before = used();
  const keep = Array.from({ length: n }, () => factory.create());
  keep.forEach(feed);
  await settle();
  const after = used();
  return { heap: Math.round((after - before) / keep.length), checkpoint };
}

const ours = await detectAndScore(defaultDetector, ALERT_THRESHOLD);
const ref = await detectAndScore(windowedGaussian, 0.5);
const light = await detectAndScore(lightDetector, ALERT_THRESHOLD);
const lightCost = { micros: microsPerPoint(lightDetector), ...(await bytesPerSeries(lightDetector)) };
const cost = { micros: microsPerPoint(defaultDetector), ...(await bytesPerSeries(defaultDetector)) };
const refMicros = microsPerPoint(windowedGaussian);

const f = (x: number) => x.toFixed(1).padStart(6);
const std = ours.fixed.standard!;
const lines: string[] = [];
lines.push(`NAB open subset: ${corpus.length} files, ${points} points, ${std.windows} windows`);
lines.push(`${defaultDetector.name}: ALERT_THRESHOLD = ${ALERT_THRESHOLD}`);
lines.push("");
lines.push("profile              fixed  oracle (threshold)   windows  FP points");
for (const p of PROFILE_NAMES) {
  const a = ours.fixed[p]!;
  const o = ours.oracle[p]!;
  lines.push(`${p.padEnd(19)} ${f(a.normalized)}  ${f(o.normalized)} (${o.threshold.toFixed(5)})  ${a.windowsDetected}/${a.windows}     ${a.fpPoints}`);
}
lines.push("");
lines.push("per category (standard, fixed threshold)");
for (const [c, d] of Object.entries(std.perCategory).sort())
  lines.push(`  ${c.padEnd(24)} ${d.normalized === null ? "   n/a" : f(d.normalized)}  windows ${d.windowsDetected}/${d.windows}  FP points ${d.fp}`);
lines.push("");
lines.push("standard profile beside the published detectors (theirs: oracle threshold)");
const table: Array<[string, number]> = [
  [`Fieldline (${defaultDetector.name}), fixed threshold`, std.normalized],
  [`Fieldline (${defaultDetector.name}), oracle threshold`, ours.oracle.standard!.normalized],
  ...PUBLISHED,
  [`Fieldline light preset (${lightDetector.name}), fixed threshold`, light.fixed.standard!.normalized],
  ["windowed Gaussian, run here (oracle)", ref.oracle.standard!.normalized],
];
for (const [name, score] of table.sort((a, b) => b[1] - a[1])) lines.push(`  ${name.padEnd(66)} ${f(score)}`);
lines.push("");
lines.push(
  `cost: ${cost.micros.toFixed(2)} CPU us/point (${Math.round(1e6 / cost.micros)} points/s per core; reference ${refMicros.toFixed(2)}), ` +
    `${cost.heap === null ? "memory n/a (run with --expose-gc)" : `${(cost.heap / 1024).toFixed(1)} KiB memory`} and ` +
    `${(cost.checkpoint / 1024).toFixed(1)} KiB checkpoint per series`,
);
lines.push(
  `light preset: ${lightCost.micros.toFixed(2)} CPU us/point, ` +
    `${lightCost.heap === null ? "heap n/a" : `${(lightCost.heap / 1024).toFixed(1)} KiB memory`} and ${(lightCost.checkpoint / 1024).toFixed(1)} KiB checkpoint per series; ` +
    `standard ${light.fixed.standard!.normalized.toFixed(1)}, reward_low_FP ${light.fixed.reward_low_FP_rate!.normalized.toFixed(1)}, reward_low_FN ${light.fixed.reward_low_FN_rate!.normalized.toFixed(1)}`,
);
process.stdout.write(lines.join("\n") + "\n");

const strip = (r: Record<string, ProfileReport>) =>
  Object.fromEntries(Object.entries(r).map(([k, v]) => [k, { ...v, perFile: undefined, perFileScores: Object.fromEntries(Object.entries(v.perFile).map(([rel, c]) => [rel, c])) }]));
mkdirSync(outDir, { recursive: true });
writeFileSync(
  join(outDir, "nab.json"),
  JSON.stringify(
    {
      corpus: { files: corpus.length, points, windows: std.windows },
      detector: defaultDetector.name,
      alertThreshold: ALERT_THRESHOLD,
      fixed: strip(ours.fixed),
      oracle: strip(ours.oracle),
      light: {
        name: lightDetector.name,
        fixed: Object.fromEntries(PROFILE_NAMES.map((p) => [p, light.fixed[p]!.normalized])),
        cost: { microsPerPoint: lightCost.micros, heapBytesPerSeries: lightCost.heap, checkpointBytesPerSeries: lightCost.checkpoint },
      },
      reference: { name: windowedGaussian.name, oracleStandard: ref.oracle.standard!.normalized, fixedStandard: ref.fixed.standard!.normalized, microsPerPoint: refMicros },
      published: Object.fromEntries(PUBLISHED),
      cost: { microsPerPoint: cost.micros, heapBytesPerSeries: cost.heap, checkpointBytesPerSeries: cost.checkpoint },
      machine: { cpus: (await import("node:os")).cpus().length, node: process.version },
    },
    null,
    1,
  ) + "\n",
);

// Plot: a few series with their windows (orange), probation (grey) and detections (red).
const PLOT = [
  "realKnownCause/nyc_taxi.csv",
  "realKnownCause/ambient_temperature_system_failure.csv",
  "realAWSCloudwatch/ec2_cpu_utilization_5f5533.csv",
  "artificialWithAnomaly/art_daily_jumpsup.csv",
  "realTweets/Twitter_volume_AAPL.csv",
  "realKnownCause/rogue_agent_key_updown.csv",
];
const panels = PLOT.map((rel) => {
  const k = corpus.findIndex((c) => c.rel === rel);
  const c = ours.fixed.standard!.perFile[rel]!;
  return {
    title: `${rel}: windows ${c.windowsDetected}/${c.windowsScored}, false-positive points ${c.fp}, score ${c.score.toFixed(2)}`,
    values: series[k]!.values,
    scores: ours.files[k]!.scores,
    windows: corpus[k]!.windows,
    probation: probationLength(series[k]!.values.length),
    threshold: ALERT_THRESHOLD,
  };
});
const svg = renderSvg(panels, `grey: probation (not scored); orange: NAB label windows; red: detections (score >= ${ALERT_THRESHOLD}). NAB standard ${std.normalized.toFixed(1)} with the fixed threshold.`);
const svgTmp = mkdtempSync(join(tmpdir(), "nab-plot-"));
try {
  writeFileSync(join(svgTmp, "nab.svg"), svg);
  execFileSync("rsvg-convert", ["-o", join(outDir, "nab.png"), join(svgTmp, "nab.svg")]);
  process.stdout.write(`wrote ${join(outDir, "nab.json")} and ${join(outDir, "nab.png")}\n`);
} catch {
  writeFileSync(join(outDir, "nab.svg"), svg);
  process.stdout.write(`wrote ${join(outDir, "nab.json")} and ${join(outDir, "nab.svg")} (install librsvg2-bin for the PNG)\n`);
} finally {
  rmSync(svgTmp, { recursive: true, force: true });
}
