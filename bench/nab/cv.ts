/**
 * Leave-one-category-out estimate of how the parameter choice generalises (development tool):
 * for each NAB category, pick the configuration with the best standard score on the other
 * categories, then score it on the left-out one; the left-out scores add up to an honest
 * corpus score for the whole selection procedure.
 *   npx tsx bench/nab/cv.ts /tmp/s1.jsonl [/tmp/s2.jsonl ...]
 */
import { readFileSync } from "node:fs";
import { dirname } from "node:path";
import { loadCorpus } from "../../cloud-processor/src/nab/index.ts";

interface Row {
  p: unknown;
  score: number;
  perFile: Record<string, number>;
}

const rows: Row[] = process.argv
  .slice(2)
  .flatMap((f) => readFileSync(f, "utf8").trim().split("\n"))
  .map((l) => JSON.parse(l) as Row);
const corpus = loadCorpus(new URL("../data/nab", import.meta.url).pathname);
const windows = Object.fromEntries(corpus.map((f) => [f.rel, f.windows.length]));
const cats = [...new Set(corpus.map((f) => dirname(f.rel)))];

function norm(r: Row, keep: (rel: string) => boolean): { raw: number; w: number } {
  let raw = 0;
  let w = 0;
  for (const [rel, v] of Object.entries(r.perFile))
    if (keep(rel)) {
      raw += v;
      w += windows[rel]!;
    }
  return { raw, w };
}

let heldRaw = 0;
let heldW = 0;
for (const c of cats) {
  const inC = (rel: string) => dirname(rel) === c;
  let best: Row | undefined;
  let bestScore = -Infinity;
  for (const r of rows) {
    const { raw, w } = norm(r, (rel) => !inC(rel));
    const s = (100 * (raw + w)) / (2 * w);
    if (s > bestScore) {
      bestScore = s;
      best = r;
    }
  }
  const h = norm(best!, inC);
  heldRaw += h.raw;
  heldW += h.w;
  console.log(`${c.padEnd(24)} chosen on the rest: ${bestScore.toFixed(2)}  held-out raw ${h.raw.toFixed(3)} (${h.w} windows)`);
}
const top = rows.reduce((a, b) => (b.score > a.score ? b : a));
console.log(`configurations: ${rows.length}; best on the whole corpus ${top.score.toFixed(2)}; leave-one-category-out ${((100 * (heldRaw + heldW)) / (2 * heldW)).toFixed(2)}`);
