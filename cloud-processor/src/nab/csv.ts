/** Minimal CSV reading for NAB-style files (header row, comma separated, no quoting). */
import { readFileSync } from "node:fs";

export interface Table {
  header: string[];
  rows: string[][];
}

export function parseCsv(text: string): Table {
  const lines = text.split(/\r?\n/).filter((l) => l.length > 0);
  const header = (lines[0] ?? "").split(",").map((h) => h.trim());
  return { header, rows: lines.slice(1).map((l) => l.split(",")) };
}

export function readCsv(path: string): Table {
  return parseCsv(readFileSync(path, "utf8"));
}

export function column(t: Table, name: string, path = "csv"): string[] {
  const k = t.header.indexOf(name);
  if (k < 0) throw new Error(`${path}: no column "${name}" (has ${t.header.join(",")})`);
  return t.rows.map((r) => (r[k] ?? "").trim());
}

/** NAB timestamps ("2014-04-01 00:05:00[.ffffff]", optional Z/offset) as epoch milliseconds, UTC. */
export function parseTimestamp(s: string): number {
  let iso = s.trim().replace(" ", "T");
  if (!/(Z|[+-]\d\d:?\d\d)$/.test(iso)) iso += "Z";
  iso = iso.replace(/(\.\d{3})\d+/, "$1");
  const t = Date.parse(iso);
  if (Number.isNaN(t)) throw new Error(`bad timestamp "${s}"`);
  return t;
}

/** A NAB data file: timestamps (ms) and values. */
export interface Series {
  timestamps: number[];
  values: number[];
}

export function readSeries(path: string): Series {
  const t = readCsv(path);
  return {
    timestamps: column(t, "timestamp", path).map(parseTimestamp),
    values: column(t, "value", path).map(Number),
  };
}
