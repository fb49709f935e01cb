/**
 * Cross-check of the TypeScript NAB scorer against the stdlib-only reference scorer
 * (../shared/tools/nabscore.py beside the repo root) on a results folder written by detect.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runDetect } from "../../src/detection/index.ts";
import { scoreResultsDir, PROFILE_NAMES } from "../../src/nab/index.ts";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const dataDir = join(repo, "bench", "data", "nab");
// The shared reference scorer beside the repo; a copy ships with the data set for fresh clones.
const sharedScorer = join(repo, "..", "shared", "tools", "nabscore.py");
const refScorer = existsSync(sharedScorer) ? sharedScorer : join(dataDir, "tools", "nabscore.py");

interface PyProfile {
  normalized: number;
  raw: number;
  null_raw: number;
  threshold: number;
  per_category: Record<string, { raw: number; normalized: number | null; fp: number; windows_detected: number }>;
  per_file: Record<string, { score: number; tp: number; fp: number; fn: number }>;
}

describe("NAB scorer agrees with nabscore.py", () => {
  let tmp: string;
  let results: string;
  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), "nab-xcheck-"));
    results = join(tmp, "fieldline");
    const log = process.stdout.write;
    process.stdout.write = () => true;
    try {
      expect(await runDetect([dataDir, results])).toBe(0);
    } finally {
      process.stdout.write = log;
    }
  }, 60_000);
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  function python(threshold?: number): Record<string, PyProfile> {
    const json = join(tmp, `py-${threshold ?? "oracle"}.json`);
    const args = [refScorer, "--windows", join(dataDir, "labels", "combined_windows.json"), "--data", dataDir, "--results", results, "--json", json];
    if (threshold !== undefined) args.push("--threshold", String(threshold));
    execFileSync("python3", args, { stdio: "ignore" });
    return JSON.parse(readFileSync(json, "utf8")) as Record<string, PyProfile>;
  }

  for (const threshold of [undefined, 0.5, 0.99]) {
    it(`same scores per profile, category and file (threshold ${threshold ?? "oracle"})`, () => {
      const py = python(threshold);
      const ts = scoreResultsDir({ dataDir, resultsDir: results, threshold });
      for (const p of PROFILE_NAMES) {
        const a = ts[p]!;
        const b = py[p]!;
        expect(Math.abs(a.normalized - b.normalized)).toBeLessThan(1e-9);
        expect(Math.abs(a.raw - b.raw)).toBeLessThan(1e-9);
        expect(Math.abs(a.null - b.null_raw)).toBeLessThan(1e-9);
        expect(Math.abs(a.threshold - b.threshold)).toBeLessThan(1e-12);
        for (const [c, d] of Object.entries(b.per_category)) {
          expect(Math.abs(a.perCategory[c]!.raw - d.raw)).toBeLessThan(1e-9);
          expect(a.perCategory[c]!.fp).toBe(d.fp);
          expect(a.perCategory[c]!.windowsDetected).toBe(d.windows_detected);
        }
        for (const [f, d] of Object.entries(b.per_file)) {
          expect(Math.abs(a.perFile[f]!.score - d.score)).toBeLessThan(1e-9);
          expect([a.perFile[f]!.tp, a.perFile[f]!.fp, a.perFile[f]!.fn]).toEqual([d.tp, d.fp, d.fn]);
        }
      }
    }, 60_000);
  }
});
