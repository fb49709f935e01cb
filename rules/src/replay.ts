import { Evaluator, type EvaluatorOptions } from "./evaluator.ts";
import type { EvaluatorSnapshot } from "./snapshot.ts";
import type { DeviceInfo, Reading, RuleSet, Transition } from "./types.ts";

/**
 * A line of recorded telemetry: a reading, or a directive. Directives let recordings and
 * golden cases say what live systems do: tick event time, restart from a snapshot, name
 * the fleet (with labels) and the start time.
 */
export type ReplayRecord =
  | { reading: Reading }
  | { advance: number }
  | { restart: true }
  | { expect: string }
  | { devices: DeviceInfo[]; start?: number };

export interface ReplayOptions {
  devices?: DeviceInfo[];
  start?: number;
  /** Advance event time to here once the records are done. */
  until?: number;
  /** Resume from a snapshot instead of starting fresh. */
  from?: EvaluatorSnapshot;
  /** Receives the evaluator's state after the last record. */
  onSnapshot?: (s: EvaluatorSnapshot) => void;
}

/**
 * Runs rules over records in arrival order and returns every transition in the order it
 * was decided. Each device's readings move only that device's event time; every device's
 * moves at `advance` records and at `until`.
 */
export function replay(
  rules: RuleSet,
  records: Iterable<ReplayRecord>,
  o: ReplayOptions = {},
): Transition[] {
  const registry = new Map<string, DeviceInfo>();
  let start = o.start;
  const addDevices = (ds: DeviceInfo[]) => ds.forEach((d) => registry.set(d.id, d));
  addDevices(o.devices ?? []);
  const opts = (): EvaluatorOptions => ({
    devices: (id) => registry.get(id),
    expect: [...registry.keys()],
    ...(start === undefined ? {} : { start }),
  });
  let ev: Evaluator | undefined = o.from ? Evaluator.restore(rules, o.from, opts()) : undefined;
  const get = () => (ev ??= new Evaluator(rules, opts()));
  const out: Transition[] = [];
  for (const rec of records) {
    if ("reading" in rec) append(out, get().push(rec.reading));
    else if ("advance" in rec) append(out, get().advance(rec.advance));
    else if ("restart" in rec) {
      const snap = JSON.parse(JSON.stringify(get().snapshot())) as EvaluatorSnapshot;
      ev = Evaluator.restore(rules, snap, opts());
    } else if ("expect" in rec) {
      get().expect(rec.expect);
    } else {
      if (ev) throw new Error("a devices record must come before any reading");
      addDevices(rec.devices);
      if (rec.start !== undefined) start = rec.start;
    }
  }
  const e = get();
  if (o.until !== undefined) append(out, e.advance(o.until));
  o.onSnapshot?.(e.snapshot());
  return out;
}

/** Appends without spreading (a tick over a large fleet can return very many transitions). */
function append(out: Transition[], more: Transition[]): void {
  for (const t of more) out.push(t);
}

/** Parses a time: integer/float milliseconds, or an ISO 8601 date-time. */
export function parseTime(v: unknown): number | undefined {
  if (typeof v === "number") return Number.isFinite(v) ? v : undefined;
  if (typeof v !== "string" || v.trim() === "") return undefined;
  if (/^-?\d+(\.\d+)?$/.test(v.trim())) return Number(v);
  const ms = Date.parse(v);
  return Number.isNaN(ms) ? undefined : ms;
}

export class RecordError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`);
  }
}

/** Recorded telemetry, parsed. */
export interface ParsedRecords {
  records: ReplayRecord[];
  /** Readings skipped because their value is not a finite number (null, NaN, ±Infinity,
   *  missing, or text that is not a number), as the evaluator would skip them. */
  skipped: number;
  /** Line numbers (1-based) of the first few skipped readings. */
  skippedLines: number[];
}

/** How many skipped lines `parseRecords` lists. */
export const SKIPPED_LINES_LISTED = 5;

/**
 * Parses recorded telemetry. JSONL: one object per line, a reading
 * `{"device","sensor","t","value"}` (t in ms or ISO 8601; `time`/`ts` accepted; an optional
 * `boot` id) or a
 * directive (`{"advance":t}`, `{"restart":true}`, `{"expect":"id"}`, `{"devices":[...]}`).
 * CSV: a header naming device, sensor, t (or time/timestamp) and value columns (and
 * optionally boot). A reading whose value is not a finite number is skipped and counted;
 * anything else malformed throws a RecordError with its line.
 */
export function parseRecords(text: string, format: "jsonl" | "csv"): ParsedRecords {
  const out: ParsedRecords = { records: [], skipped: 0, skippedLines: [] };
  const add = (line: number, o: Record<string, unknown>) => {
    const r = reading(o, line);
    if (r) out.records.push({ reading: r });
    else if (++out.skipped <= SKIPPED_LINES_LISTED) out.skippedLines.push(line);
  };
  if (format === "csv") parseCsv(text, add);
  else parseJsonl(text, out.records, add);
  return out;
}

/** A reading, or undefined when its value is not a finite number. */
function reading(o: Record<string, unknown>, line: number): Reading | undefined {
  const t = parseTime(o.t ?? o.time ?? o.ts ?? o.timestamp);
  if (typeof o.device !== "string" || o.device === "")
    throw new RecordError(line, "missing device");
  if (typeof o.sensor !== "string" || o.sensor === "")
    throw new RecordError(line, "missing sensor");
  if (t === undefined) throw new RecordError(line, "missing or invalid t (ms or ISO 8601)");
  const value =
    typeof o.value === "string" ? (o.value.trim() === "" ? NaN : Number(o.value)) : o.value;
  if (typeof value !== "number" || !Number.isFinite(value)) return undefined;
  const boot = o.boot === undefined || o.boot === "" ? undefined : String(o.boot);
  return boot === undefined
    ? { device: o.device, sensor: o.sensor, t, value }
    : { device: o.device, sensor: o.sensor, t, value, boot };
}

/** Bare NaN / Infinity / -Infinity as a JSON value (what Python's json module writes). */
const NON_JSON_NUMBER = /(?<=[:[,]\s*)-?(?:NaN|Infinity)(?=\s*[,}\]])/g;

function parseJsonl(
  text: string,
  out: ReplayRecord[],
  add: (line: number, o: Record<string, unknown>) => void,
): void {
  text.split(/\r?\n/).forEach((raw, i) => {
    const s = raw.trim();
    if (s === "" || s.startsWith("#") || s.startsWith("//")) return;
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(s) as Record<string, unknown>;
    } catch {
      try {
        o = JSON.parse(s.replace(NON_JSON_NUMBER, "null")) as Record<string, unknown>;
      } catch {
        throw new RecordError(i + 1, "not valid JSON");
      }
    }
    if (typeof o !== "object" || o === null) throw new RecordError(i + 1, "expected a JSON object");
    if ("advance" in o) {
      const t = parseTime(o.advance);
      if (t === undefined) throw new RecordError(i + 1, "invalid advance time");
      out.push({ advance: t });
    } else if (o.restart === true) out.push({ restart: true });
    else if (typeof o.expect === "string") out.push({ expect: o.expect });
    else if (Array.isArray(o.devices)) {
      const start = o.start === undefined ? undefined : parseTime(o.start);
      out.push(
        start === undefined
          ? { devices: o.devices as DeviceInfo[] }
          : { devices: o.devices as DeviceInfo[], start },
      );
    } else add(i + 1, o);
  });
}

function splitCsvLine(line: string): string[] {
  const cells: string[] = [];
  let cur = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") {
      cells.push(cur);
      cur = "";
    } else cur += ch;
  }
  cells.push(cur);
  return cells.map((c) => c.trim());
}

function parseCsv(text: string, add: (line: number, o: Record<string, unknown>) => void): void {
  const lines = text.split(/\r?\n/);
  const headerAt = lines.findIndex((l) => l.trim() !== "" && !l.startsWith("#"));
  if (headerAt < 0) return;
  const header = splitCsvLine(lines[headerAt]!).map((h) => h.toLowerCase());
  const col = (...names: string[]) => header.findIndex((h) => names.includes(h));
  const cDev = col("device", "device_id");
  const cSen = col("sensor", "field");
  const cT = col("t", "time", "ts", "timestamp");
  const cVal = col("value");
  const cBoot = col("boot");
  if (cDev < 0 || cSen < 0 || cT < 0 || cVal < 0)
    throw new RecordError(
      headerAt + 1,
      "CSV header must name device, sensor, t (or time/timestamp) and value",
    );
  for (let i = headerAt + 1; i < lines.length; i++) {
    const l = lines[i]!;
    if (l.trim() === "" || l.startsWith("#")) continue;
    const c = splitCsvLine(l);
    add(i + 1, { device: c[cDev], sensor: c[cSen], t: c[cT], value: c[cVal], boot: c[cBoot] });
  }
}
