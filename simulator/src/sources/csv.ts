/** Reads `timestamp,value` CSV files (NAB layout and alike) for replay. */
import { readFileSync } from "node:fs";

export interface CsvSeries {
  /** Epoch milliseconds, or NaN where the row had no readable time. */
  times: Float64Array;
  values: Float64Array;
}

/** Epoch ms of `2014-04-01 00:00:00` (read as UTC), ISO times, or epoch seconds/ms. */
export function parseTimestamp(text: string): number {
  const s = text.trim();
  if (/^-?\d+(\.\d+)?$/.test(s)) {
    const n = Number(s);
    return Math.abs(n) < 1e11 ? n * 1000 : n;
  }
  const iso = s.includes("T") ? s : s.replace(" ", "T");
  return Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(iso) ? iso : `${iso}Z`);
}

export function parseCsv(text: string, column: number, file = "<csv>"): CsvSeries {
  const times: number[] = [];
  const values: number[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((line, i) => {
    if (line.trim() === "") return;
    const cells = line.split(",");
    const raw = cells[column];
    const value = raw === undefined ? NaN : Number(raw.trim().replace(/^"|"$/g, ""));
    if (Number.isNaN(value) || raw!.trim() === "") {
      if (i === 0) return; // header
      throw new Error(`${file}:${i + 1}: column ${column} is not a number: ${JSON.stringify(raw)}`);
    }
    times.push(parseTimestamp(cells[0] ?? ""));
    values.push(value);
  });
  if (values.length === 0) throw new Error(`${file}: no rows`);
  return { times: Float64Array.from(times), values: Float64Array.from(values) };
}

/** A replay file that cannot be read: configuration, reported at start. */
export class ReplayFileError extends Error {
  override name = "ReplayFileError";
}

/** Loads each file once per run, however many series replay it. */
export class CsvCache {
  private readonly files = new Map<string, CsvSeries>();

  get(file: string, column: number): CsvSeries {
    const key = `${column}\u0000${file}`;
    let series = this.files.get(key);
    if (!series) {
      let text: string;
      try {
        text = readFileSync(file, "utf8");
      } catch (err) {
        throw new ReplayFileError(`replay file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
      try {
        series = parseCsv(text, column, file);
      } catch (err) {
        throw new ReplayFileError((err as Error).message);
      }
      this.files.set(key, series);
    }
    return series;
  }
}
