/** Loading a NAB corpus: data files, label windows and a detector's results folder. */
import { readFileSync, existsSync } from "node:fs";
import { join, dirname, basename } from "node:path";
import { column, parseTimestamp, readCsv, readSeries } from "./csv.ts";

export interface CorpusFile {
  /** "<category>/<file>.csv" */
  rel: string;
  timestamps: number[];
  /** Inclusive [startRow, endRow] of each label window. */
  windows: Array<[number, number]>;
}

export type WindowsJson = Record<string, Array<[string, string]>>;

export function readWindows(path: string): WindowsJson {
  return JSON.parse(readFileSync(path, "utf8")) as WindowsJson;
}

/** Maps window timestamps to rows; a window edge must equal a data timestamp exactly (as in NAB). */
export function windowRows(rel: string, timestamps: number[], windows: Array<[string, string]>): Array<[number, number]> {
  const index = new Map<number, number>();
  timestamps.forEach((t, i) => {
    if (!index.has(t)) index.set(t, i);
  });
  return windows.map(([a, b]) => {
    const s = index.get(parseTimestamp(a));
    const e = index.get(parseTimestamp(b));
    if (s === undefined || e === undefined) throw new Error(`${rel}: window ${a}..${b} does not match the data timestamps`);
    return [s, e] as [number, number];
  });
}

/** The corpus is the set of files named in the windows file; timestamps come from the data files. */
export function loadCorpus(dataDir: string, windowsPath = join(dataDir, "labels", "combined_windows.json")): CorpusFile[] {
  const wins = readWindows(windowsPath);
  return Object.keys(wins)
    .sort()
    .map((rel) => {
      const { timestamps } = readSeries(join(dataDir, rel));
      return { rel, timestamps, windows: windowRows(rel, timestamps, wins[rel]!) };
    });
}

/** Finds `<results>/<category>/<file>.csv` or NAB's `<results>/<category>/<detector>_<file>.csv`. */
export function resultsPath(resultsDir: string, rel: string, detector?: string): string {
  const cat = dirname(rel);
  const file = basename(rel);
  const cands = [...(detector ? [join(resultsDir, cat, `${detector}_${file}`)] : []), join(resultsDir, cat, file)];
  const found = cands.find((c) => existsSync(c));
  if (!found) throw new Error(`no results file for ${rel} (tried ${cands.join(", ")})`);
  return found;
}

/** Reads the anomaly_score column, matched to the data file's rows by position (as NAB does). */
export function readScores(path: string, rows: number, scoreColumn = "anomaly_score"): number[] {
  const scores = column(readCsv(path), scoreColumn, path).map(Number);
  if (scores.length !== rows) throw new Error(`${path}: ${scores.length} rows but the data file has ${rows}`);
  return scores;
}
