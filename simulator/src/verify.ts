/**
 * Compares what reached the store with what the simulator sent: every reading the truth
 * says was sent (not `lost` at the device) should be stored exactly once with its value.
 * Missing: sent, not stored. Duplicated: stored more than once (only a store that keeps
 * duplicates can show it: the line-protocol file, VictoriaMetrics without dedup). Altered:
 * stored with another value (beyond `tolerance`, relative). Unexpected: stored for a device
 * of this run but never sent.
 *
 * `match: "value"` ignores timestamps, for paths where something downstream stamps time
 * itself (the edge agent stamps serial readings with its own clock): per device and sensor,
 * the stored values must be the sent values, as a multiset. A changed value then shows as
 * one missing plus one unexpected, never as altered.
 */
import type { StoreReader } from "./store/reader";
import { fromJsonNumber, type TruthRecord } from "./truth/records";

export interface VerifyOptions {
  /** "time" (default): match by (device, sensor, timestamp); "value": by (device, sensor, value). */
  match?: "time" | "value";
  /** Relative tolerance for values: |stored - sent| <= tolerance * max(1, |sent|). */
  tolerance?: number;
  /** How many examples of each problem to keep. */
  examples?: number;
}

export interface Mismatch {
  device: string;
  sensor: string;
  t: number;
  sent?: number;
  stored?: number | undefined;
  count?: number;
}

export interface VerifyReport {
  ok: boolean;
  expected: number;
  /** Readings the devices took offline without an outbox (never sent; not expected). */
  lostAtDevice: number;
  stored: number;
  matched: number;
  missing: number;
  duplicated: number;
  altered: number;
  unexpected: number;
  examples: { missing: Mismatch[]; duplicated: Mismatch[]; altered: Mismatch[]; unexpected: Mismatch[] };
}

interface Want {
  value: number;
  seen: number;
  firstStored?: number | undefined;
}

const key = (device: string, sensor: string, t: number): string => `${device}\u0000${sensor}\u0000${t}`;

export async function verify(truth: AsyncIterable<TruthRecord> | Iterable<TruthRecord>, store: StoreReader, opts: VerifyOptions = {}): Promise<VerifyReport> {
  const tolerance = opts.tolerance ?? 1e-9;
  const keep = opts.examples ?? 10;
  const want = new Map<string, Want>();
  const devices = new Set<string>();
  let start = Infinity;
  let end = -Infinity;
  let lostAtDevice = 0;
  for await (const r of truth) {
    if (r.type === "device") devices.add(r.device);
    if (r.type !== "reading") continue;
    if (r.lost) {
      lostAtDevice++;
      continue;
    }
    want.set(key(r.device, r.sensor, r.t), { value: fromJsonNumber(r.value), seen: 0 });
    start = Math.min(start, r.t);
    end = Math.max(end, r.t + 1);
  }
  const report: VerifyReport = {
    ok: false,
    expected: want.size,
    lostAtDevice,
    stored: 0,
    matched: 0,
    missing: 0,
    duplicated: 0,
    altered: 0,
    unexpected: 0,
    examples: { missing: [], duplicated: [], altered: [], unexpected: [] },
  };
  const note = (list: Mismatch[], m: Mismatch): void => {
    if (list.length < keep) list.push(m);
  };
  if (opts.match === "value") {
    await matchByValue(want, devices, store, report, tolerance, note);
  } else if (want.size > 0) {
    for await (const p of store.read({ start, end })) {
      if (!devices.has(p.device)) continue;
      report.stored++;
      const w = want.get(key(p.device, p.sensor, p.t));
      if (!w) {
        report.unexpected++;
        note(report.examples.unexpected, { device: p.device, sensor: p.sensor, t: p.t, stored: p.value });
        continue;
      }
      w.seen++;
      if (w.seen === 1) w.firstStored = p.value;
      if (w.seen === 2) {
        report.duplicated++;
        note(report.examples.duplicated, { device: p.device, sensor: p.sensor, t: p.t, sent: w.value, count: 2 });
      }
    }
  }
  for (const [k, w] of opts.match === "value" ? [] : want) {
    const [device, sensor, t] = k.split("\u0000") as [string, string, string];
    if (w.seen === 0) {
      report.missing++;
      note(report.examples.missing, { device, sensor, t: Number(t), sent: w.value });
      continue;
    }
    if (sameValue(w.value, w.firstStored, tolerance)) report.matched++;
    else {
      report.altered++;
      note(report.examples.altered, { device, sensor, t: Number(t), sent: w.value, stored: w.firstStored });
    }
  }
  report.ok = report.missing === 0 && report.duplicated === 0 && report.altered === 0 && report.unexpected === 0;
  return report;
}

/** Values equal within `tolerance` share a key: rounded to the significant digits it allows. */
function valueKey(v: number | undefined, tolerance: number): string {
  if (v === undefined || !Number.isFinite(v)) return "fault";
  const digits = Math.min(17, Math.max(1, Math.floor(-Math.log10(tolerance))));
  return v.toPrecision(digits);
}

async function matchByValue(
  want: Map<string, Want>,
  devices: Set<string>,
  store: StoreReader,
  report: VerifyReport,
  tolerance: number,
  note: (list: Mismatch[], m: Mismatch) => void,
): Promise<void> {
  const expected = new Map<string, { n: number; example: Mismatch }>();
  for (const [k, w] of want) {
    const [device, sensor, t] = k.split("\u0000") as [string, string, string];
    const vk = `${device}\u0000${sensor}\u0000${valueKey(w.value, tolerance)}`;
    const e = expected.get(vk);
    if (e) e.n++;
    else expected.set(vk, { n: 1, example: { device, sensor, t: Number(t), sent: w.value } });
  }
  const stored = new Map<string, number>();
  for await (const p of store.read({ start: 0, end: Date.now() + 10 * 365 * 86_400_000 })) {
    if (!devices.has(p.device)) continue;
    report.stored++;
    const vk = `${p.device}\u0000${p.sensor}\u0000${valueKey(p.value, tolerance)}`;
    const n = (stored.get(vk) ?? 0) + 1;
    stored.set(vk, n);
    const e = expected.get(vk);
    if (!e) {
      report.unexpected++;
      note(report.examples.unexpected, { device: p.device, sensor: p.sensor, t: p.t, stored: p.value });
    } else if (n > e.n) {
      report.duplicated++;
      note(report.examples.duplicated, { ...e.example, count: n });
    }
  }
  for (const [vk, e] of expected) {
    const got = Math.min(e.n, stored.get(vk) ?? 0);
    report.matched += got;
    report.missing += e.n - got;
    if (got < e.n) note(report.examples.missing, e.example);
  }
}

/** Non-finite values are stored without a `value` field (as a fault code): stored undefined matches. */
function sameValue(sent: number, stored: number | undefined, tolerance: number): boolean {
  if (!Number.isFinite(sent)) return stored === undefined;
  if (stored === undefined) return false;
  return Math.abs(stored - sent) <= tolerance * Math.max(1, Math.abs(sent));
}
