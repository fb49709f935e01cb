/**
 * What a run is judged by.
 * - MQTT fleet: the simulator's `verify` (missing / duplicated / altered / unexpected), keyed by
 *   (device, sensor, timestamp): those devices' timestamps are the simulator's own.
 * - Serial fleet: the edge agent stamps readings with its own clock, so timestamps cannot be
 *   compared with the simulator's; per device and sensor, the stored values in time order must
 *   equal the values the simulator sent, in order (the same check as
 *   simulator/test/edge-agent.test.ts, here on what reached the database).
 * - The shutoff: the edge's rule-fired event and the write on the sim GPIO line.
 */
import { fromJsonNumber, verify, type ReadingRecord, type StoreReader, type TruthRecord, type VerifyReport } from "@fieldline/simulator";
import type { DeviceEvent } from "@fieldline/firmware-contracts";
import type { OutputEvent } from "../../edge-agent/src/gpio/sim/client";

export type MqttCheck = Omit<VerifyReport, "examples"> & { examples: VerifyReport["examples"] };

/** `examples`: how many missing / duplicated / altered / unexpected readings to keep, each. */
export async function checkMqtt(truth: TruthRecord[], store: StoreReader, examples = 3): Promise<MqttCheck> {
  return verify(truth, store, { tolerance: 1e-9, examples });
}

export interface SerialCheck {
  ok: boolean;
  expected: number;
  stored: number;
  matched: number;
  missing: number;
  /** Stored more often than sent, or never sent. */
  extra: number;
  /** Series whose stored values, in time order, differ from the sent ones. */
  outOfOrder: string[];
  /** Extra values that were sent (stored more often than sent), and values never sent (altered). */
  doubled: number;
  foreign: number;
  /** Per device/sensor where something is missing or extra. */
  bySeries: Record<string, { missing: number; extra: number }>;
}

export async function checkSerial(truth: TruthRecord[], store: StoreReader, range: { start: number; end: number }): Promise<SerialCheck> {
  const want = new Map<string, number[]>();
  for (const r of truth) {
    if (r.type !== "reading") continue;
    const rr = r as ReadingRecord;
    if (rr.lost) continue;
    const k = `${rr.device}/${rr.sensor}`;
    let a = want.get(k);
    if (!a) want.set(k, (a = []));
    a.push(fromJsonNumber(rr.value));
  }
  const devices = new Set([...want.keys()].map((k) => k.split("/")[0]!));
  const got = new Map<string, { t: number; v: number }[]>();
  for await (const p of store.read(range)) {
    if (!devices.has(p.device)) continue;
    const k = `${p.device}/${p.sensor}`;
    let a = got.get(k);
    if (!a) got.set(k, (a = []));
    a.push({ t: p.t, v: p.value ?? NaN });
  }
  let expected = 0;
  let stored = 0;
  let matched = 0;
  const outOfOrder: string[] = [];
  const bySeries: SerialCheck["bySeries"] = {};
  let doubled = 0;
  let foreign = 0;
  for (const k of new Set([...want.keys(), ...got.keys()])) {
    const w = want.get(k) ?? [];
    const g = (got.get(k) ?? []).sort((a, b) => a.t - b.t).map((x) => x.v);
    expected += w.length;
    stored += g.length;
    const left = new Map<number, number>();
    for (const v of g) left.set(v, (left.get(v) ?? 0) + 1);
    let m = 0;
    for (const v of w) {
      const n = left.get(v) ?? 0;
      if (n > 0) {
        m++;
        left.set(v, n - 1);
      }
    }
    matched += m;
    const sent = new Set(w);
    for (const [v, n] of left) {
      if (sent.has(v)) doubled += n;
      else foreign += n;
    }
    if (m < w.length || m < g.length) bySeries[k] = { missing: w.length - m, extra: g.length - m };
    if (w.length !== g.length || w.some((v, i) => !Object.is(v, g[i]))) outOfOrder.push(k);
  }
  const missing = expected - matched;
  const extra = stored - matched;
  return { ok: missing === 0 && extra === 0 && outOfOrder.length === 0, expected, stored, matched, missing, extra, outOfOrder, doubled, foreign, bySeries };
}

export interface ShutoffCheck {
  device: string;
  rule: string;
  /** Epoch ms the GPIO line was driven to the shutoff level (sim chip's clock). */
  gpioAt?: number;
  /** Epoch ms the reading that tripped the rule arrived at the agent (from the rule-fired event). */
  frameAt?: number;
  latencyMs?: number;
  /** The line still holds the shutoff level at the end (the condition cleared meanwhile). */
  latched: boolean;
  /** The rule-fired event reached the cloud side (over MQTT, through the outbox). */
  eventDelivered: boolean;
}

export function checkShutoff(device: string, rule: string, write: OutputEvent | undefined, fired: DeviceEvent | undefined, levelAtEnd: 0 | 1 | undefined): ShutoffCheck {
  const cause = (fired?.data?.cause as { t: number }[] | undefined)?.[0];
  const frameAt = cause?.t;
  return {
    device,
    rule,
    ...(write ? { gpioAt: write.t } : {}),
    ...(frameAt !== undefined ? { frameAt } : {}),
    ...(write && frameAt !== undefined ? { latencyMs: write.t - frameAt } : {}),
    latched: write !== undefined && levelAtEnd === 0,
    eventDelivered: fired !== undefined,
  };
}
