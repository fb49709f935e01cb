/**
 * InfluxDB line protocol with millisecond timestamps, shared by every sink.
 * https://docs.influxdata.com/influxdb/v1/write_protocols/line_protocol_reference/
 */
import type { LineBatch, Point } from "./sink.ts";

const measurementEscape = /[, \\]/g;
const keyEscape = /[,= \\]/g;
const needsKeyEscape = /[,= \\]/;

function escMeasurement(s: string): string {
  return s.replace(measurementEscape, (c) => "\\" + c);
}

/** Ids (ID_PATTERN) never need escaping; test first, replace only when needed (hot path). */
function escKey(s: string): string {
  return needsKeyEscape.test(s) ? s.replace(keyEscape, (c) => "\\" + c) : s;
}

/** Measurement and tags (sorted, escaped) in line protocol: the series part of a line. */
export function seriesKey(measurement: string, tags: Record<string, string>): string {
  const keys = Object.keys(tags);
  if (!isSorted(keys)) keys.sort();
  let prefix = escMeasurement(measurement);
  for (const k of keys) {
    const v = tags[k]!;
    if (v !== "") prefix += `,${escKey(k)}=${escKey(v)}`;
  }
  return prefix;
}

function isSorted(keys: string[]): boolean {
  for (let i = 1; i < keys.length; i++) if (keys[i - 1]! > keys[i]!) return false;
  return true;
}

/** Formats one float field value; the caller has already kept non-finite values out. */
function formatFloat(v: number): string {
  return Number.isInteger(v) && Math.abs(v) < 1e21 ? v.toFixed(0) : String(v);
}

/** One line; tags sorted by key (InfluxDB's own order, which also makes lines comparable). */
export function toLine(p: Point): string {
  let line = p.series ?? seriesKey(p.measurement, p.tags);
  let sep = " ";
  for (const k in p.fields) {
    const v = p.fields[k]!;
    if (!Number.isFinite(v)) continue;
    line += `${sep}${escKey(k)}=${formatFloat(v)}`;
    sep = ",";
  }
  if (sep === " ") throw new Error(`point ${p.measurement} at ${p.t} has no finite field`);
  return `${line} ${Math.trunc(p.t)}`;
}

export function toLines(points: readonly Point[]): string {
  let out = "";
  for (const p of points) out += toLine(p) + "\n";
  return out;
}

export function toBatch(points: readonly Point[]): LineBatch {
  return { lines: toLines(points), points: points.length };
}

/** Formats a float field value (finite) as line protocol does; exported for hot paths. */
export { formatFloat };
