/**
 * Checks that the k-NN search (`KnnScale`) gives bit-identical evidence to the plain search
 * it replaced (`ReferenceKnnScale`) on every point of bench/data/nab, for every scale of the
 * default and light presets, and times both (CPU µs per point and scale).
 *   npx tsx bench/nab/exact.ts
 * The detector's score is a function of this evidence only, so identical evidence means
 * identical scores and NAB results. Exit code 1 on the first difference.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { KnnScale, type KnnParams } from "../../cloud-processor/src/detection/knn.ts";
import { ReferenceKnnScale } from "../../cloud-processor/src/detection/knn-reference.ts";
import { DEFAULT_PARAMS, LIGHT_PARAMS } from "../../cloud-processor/src/detection/ensemble.ts";

const data = join(dirname(fileURLToPath(import.meta.url)), "../data/nab");
const series: Array<[string, number[]]> = [];
for (const cat of readdirSync(data).sort()) {
  const dir = join(data, cat);
  if (!statSync(dir).isDirectory()) continue;
  for (const f of readdirSync(dir).sort()) {
    if (!f.endsWith(".csv")) continue;
    const rows = readFileSync(join(dir, f), "utf8").trim().split("\n").slice(1);
    series.push([`${cat}/${f}`, rows.map((r) => Number(r.split(",")[1]))]);
  }
}
const points = series.reduce((a, [, xs]) => a + xs.length, 0);

function run(make: (p: KnnParams) => { update(x: number): { novelty: number; error: number } }, p: KnnParams) {
  const out = new Float64Array(2 * points);
  let k = 0;
  const c0 = process.cpuUsage();
  for (const [, xs] of series) {
    const s = make(p);
    for (const x of xs) {
      const ev = s.update(x);
      out[k++] = ev.novelty;
      out[k++] = ev.error;
    }
  }
  const c = process.cpuUsage(c0);
  return { out, us: (c.user + c.system) / points };
}

let failed = false;
const rows: Array<Record<string, unknown>> = [];
for (const [preset, params] of [["default", DEFAULT_PARAMS], ["light", LIGHT_PARAMS]] as const) {
  params.scales.forEach((p, i) => {
    const ref = run((q) => new ReferenceKnnScale(q), p);
    const fast = run((q) => new KnnScale(q), p);
    let diff = -1;
    for (let j = 0; j < ref.out.length && diff < 0; j++) if (!Object.is(ref.out[j], fast.out[j])) diff = j;
    if (diff >= 0) failed = true;
    rows.push({ preset, scale: i, points, identical: diff < 0, firstDiff: diff < 0 ? null : diff >> 1, refUs: +ref.us.toFixed(2), newUs: +fast.us.toFixed(2) });
  });
}
console.table(rows);
console.log(failed ? "DIFFERENT: the search no longer reproduces the reference" : `identical evidence on all ${points} points`);
process.exit(failed ? 1 : 0);
