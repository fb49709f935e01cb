/**
 * InfluxDB line protocol with millisecond timestamps, shared by every sink.
 * https://docs.influxdata.com/influxdb/v1/write_protocols/line_protocol_reference/
 */
import type { Point } from "./sink.ts";

const measurementEscape = /[, \\]/g;
const keyEscape = /[,= \\]/g;

function escMeasurement(s: string): string {
  return s.replace(measurementEscape, (c) => "\\" + c);
}

function escKey(s: string): string {
  return s.replace(keyEscape, (c) => "\\" + c);
}

/** Formats one float field value; the caller has already kept non-finite values out. */
function formatFloat(v: number): string {
  return Number.isInteger(v) && Math.abs(v) < 1e21 ? v.toFixed(0) : String(v);
}

/** One line; tags sorted by key (InfluxDB's own order, which also makes lines comparable). */
export function toLine(p: Point): string {
  let line = escMeasurement(p.measurement);
  for (const k of Object.keys(p.tags).sort()) {
    const v = p.tags[k]!;
    if (v === "") continue;
    line += `,${escKey(k)}=${escKey(v)}`;
  }
  let sep = " ";
  for (const [k, v] of Object.entries(p.fields)) {
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
