/** NAB corpus scoring: per file, per category and normalised, at a fixed or oracle threshold. */
import { dirname } from "node:path";
import { PROFILES, type Profile, type ProfileName } from "./profiles.ts";
import { optimiseThreshold, scoreAtThreshold, sweepFile, type FileCounts, type SweptFile } from "./sweep.ts";

export interface ScoredFile {
  rel: string;
  scores: ArrayLike<number>;
  windows: ReadonlyArray<readonly [number, number]>;
}

export interface CategoryReport {
  files: number;
  windows: number;
  windowsDetected: number;
  tp: number;
  fp: number;
  fn: number;
  raw: number;
  null: number;
  normalized: number | null;
}

export interface ProfileReport {
  profile: ProfileName;
  /** "fixed" uses the given threshold; "oracle" picks the best one on this corpus, as NAB's published numbers do. */
  mode: "fixed" | "oracle";
  threshold: number;
  raw: number;
  null: number;
  perfect: number;
  normalized: number;
  windows: number;
  windowsDetected: number;
  fpPoints: number;
  perCategory: Record<string, CategoryReport>;
  perFile: Record<string, FileCounts>;
}

/**
 * Scores a corpus under one profile. With `threshold` undefined the threshold is NAB's
 * oracle (best on this corpus); the null detector (never fires) gets its own optimum.
 */
export function scoreCorpus(files: readonly ScoredFile[], profileName: ProfileName, threshold?: number): ProfileReport {
  const profile: Profile = PROFILES[profileName];
  const swept = files.map((f) => sweepFile(f.scores, f.windows, profile));
  const thr = threshold ?? optimiseThreshold(swept, profile).threshold;
  const nullSwept: SweptFile[] = files.map((f) => sweepFile(new Float64Array(f.scores.length).fill(0.5), f.windows, profile));
  const nullThr = optimiseThreshold(nullSwept, profile).threshold;
  const perFile: Record<string, FileCounts> = {};
  const perCategory: Record<string, CategoryReport> = {};
  let raw = 0;
  let nul = 0;
  let windows = 0;
  let windowsDetected = 0;
  let fpPoints = 0;
  files.forEach((f, k) => {
    const c = scoreAtThreshold(swept[k]!, profile, thr);
    const nc = scoreAtThreshold(nullSwept[k]!, profile, nullThr).score;
    perFile[f.rel] = c;
    raw += c.score;
    nul += nc;
    windows += f.windows.length;
    windowsDetected += c.windowsDetected;
    fpPoints += c.fp;
    const cat = dirname(f.rel);
    const d = (perCategory[cat] ??= { files: 0, windows: 0, windowsDetected: 0, tp: 0, fp: 0, fn: 0, raw: 0, null: 0, normalized: null });
    d.files++;
    d.windows += f.windows.length;
    d.windowsDetected += c.windowsDetected;
    d.tp += c.tp;
    d.fp += c.fp;
    d.fn += c.fn;
    d.raw += c.score;
    d.null += nc;
  });
  for (const d of Object.values(perCategory)) {
    const p = d.windows * profile.tpWeight;
    d.normalized = p !== d.null ? (100 * (d.raw - d.null)) / (p - d.null) : null;
  }
  const perfect = windows * profile.tpWeight;
  return {
    profile: profileName,
    mode: threshold === undefined ? "oracle" : "fixed",
    threshold: thr,
    raw,
    null: nul,
    perfect,
    normalized: (100 * (raw - nul)) / (perfect - nul),
    windows,
    windowsDetected,
    fpPoints,
    perCategory,
    perFile,
  };
}
