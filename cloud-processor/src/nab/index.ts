export { PROFILES, PROFILE_NAMES, probationLength, type Profile, type ProfileName } from "./profiles.ts";
export { sweepFile, scoreAtThreshold, optimiseThreshold, scaledSigmoid, type SweptFile, type FileCounts } from "./sweep.ts";
export { scoreCorpus, type ScoredFile, type ProfileReport, type CategoryReport } from "./score.ts";
export { loadCorpus, readWindows, windowRows, resultsPath, readScores, type CorpusFile } from "./corpus.ts";
export { readSeries, parseTimestamp, parseCsv, type Series } from "./csv.ts";
export { scoreResultsDir, type ScoreResultsOptions } from "./results.ts";
export { formatReport } from "./format.ts";
export { runNabScore } from "./cli.ts";
