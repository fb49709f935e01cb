/** Scores a results folder (`<results>/<category>/<file>.csv` with an anomaly_score column). */
import { basename, join, normalize } from "node:path";
import { loadCorpus, readScores, resultsPath } from "./corpus.ts";
import { PROFILE_NAMES, type ProfileName } from "./profiles.ts";
import { scoreCorpus, type ProfileReport } from "./score.ts";

export interface ScoreResultsOptions {
  dataDir: string;
  resultsDir: string;
  windowsPath?: string;
  /** Fixed threshold; undefined = NAB's oracle threshold. */
  threshold?: number;
  profiles?: ProfileName[];
  /** NAB file-name prefix `<detector>_`; defaults to the results folder's name. */
  detector?: string;
}

export function scoreResultsDir(o: ScoreResultsOptions): Record<string, ProfileReport> {
  const corpus = loadCorpus(o.dataDir, o.windowsPath ?? join(o.dataDir, "labels", "combined_windows.json"));
  const detector = o.detector ?? basename(normalize(o.resultsDir));
  const files = corpus.map((f) => ({
    rel: f.rel,
    windows: f.windows,
    scores: readScores(resultsPath(o.resultsDir, f.rel, detector), f.timestamps.length),
  }));
  const out: Record<string, ProfileReport> = {};
  for (const p of o.profiles ?? PROFILE_NAMES) out[p] = scoreCorpus(files, p, o.threshold);
  return out;
}
