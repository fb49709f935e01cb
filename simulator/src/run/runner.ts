/**
 * Runs a fleet: walks the timeline in event time, paced against the wall clock by `speed`,
 * turns samples into batches per device, acts out faults, and records the ground truth.
 * Collaborators (transport, truth sink, clock, progress, hooks) are passed in.
 */
import { AnomalyApplier } from "../inject/anomalies";
import type { FaultWindow, InjectionPlan } from "../inject/plan";
import { Prng } from "../random";
import { toJsonNumber, type FaultRecord, type ReadingRecord } from "../truth/records";
import type { TruthSink } from "../truth/writer";
import { mapLimit } from "../transports/limit";
import type { Corruption, Transport } from "../transports/transport";
import { DeviceState } from "./device-state";
import type { Fleet, Series } from "./fleet";
import { Timeline } from "./timeline";

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export interface ProgressInfo {
  /** Event time reached. */
  t: number;
  start: number;
  end: number;
  readings: number;
  messages: number;
  acked: number;
}

export interface Progress {
  update(p: ProgressInfo): void;
  done(): void;
}

/** A fault's start or end, as handed to hooks (a broker outage is acted out by the hook). */
export interface FaultEvent {
  type: FaultWindow["spec"]["type"];
  phase: "start" | "end";
  /** Event time of this phase, and the fault's whole window. */
  t: number;
  start: number;
  end: number;
  device?: string;
}

export interface RunOptions {
  fleet: Fleet;
  plan: InjectionPlan;
  transport: Transport;
  truth?: TruthSink;
  batch?: { maxReadings: number; every: number };
  /** Event ms per wall ms, or "max". */
  speed?: number | "max";
  clock?: Clock;
  progress?: Progress;
  /** Called (and awaited) at the start and end of every fault, e.g. to stop a broker. */
  onFault?: (e: FaultEvent) => void | Promise<void>;
  /** Called (and awaited) once the transport is up, before any device boots: e.g. start edge agents on the serial links. */
  onReady?: (transport: Transport) => void | Promise<void>;
  /** How long to wait for outstanding acknowledgements at the end. */
  drainTimeoutMs?: number;
}

export interface RunSummary {
  devices: number;
  series: number;
  readingsGenerated: number;
  /** Readings a device took while offline without an outbox. */
  readingsLost: number;
  readingsSent: number;
  readingsAcked: number;
  messagesSent: number;
  messagesAcked: number;
  failed: number;
  bytes: number;
  labels: number;
  eventMs: number;
  wallMs: number;
  readingsPerSecond: number;
  /** Event time covered per wall time. */
  achievedSpeed: number;
}

export async function runFleet(opts: RunOptions): Promise<RunSummary> {
  const { fleet, plan, transport } = opts;
  const clock = opts.clock ?? systemClock;
  const transportMax = transport.maxReadings ?? Infinity;
  const maxReadings = Math.min(opts.batch?.maxReadings ?? 100, transportMax);
  const every = opts.batch?.every ?? 0;
  const truth = opts.truth;
  const states = fleet.devices.map((d) => new DeviceState(d, fleet.seed));
  const appliers = new Map<number, AnomalyApplier>();
  for (const [index, windows] of plan.anomalies) {
    const s = fleet.series[index]!;
    appliers.set(index, new AnomalyApplier(windows, fleet.seed, `${s.device.id}/${s.sensor}`));
  }
  let generated = 0;
  let lost = 0;
  let messages = 0;

  await truth?.write({ type: "run", format: 1, seed: fleet.seed, start: fleet.start, end: fleet.end, devices: fleet.devices.length, series: fleet.series.length, transport: transport.name });
  for (const d of fleet.devices) {
    await truth?.write({ type: "device", device: d.id, site: d.site, profile: d.profile, firmware: d.firmware, sensors: d.sensors.map((s) => s.id) });
  }
  for (const label of plan.labels) await truth?.write({ type: "label", ...label });

  /** Pending readings become batches with this boot's next seq numbers, in the outbox. */
  const seal = async (st: DeviceState): Promise<void> => {
    while (st.pending.length > 0) {
      const chunk = st.pending.splice(0, maxReadings);
      const seq = st.seq++;
      for (const p of chunk) {
        p.record.seq = seq;
        p.record.boot = st.boot;
        await truth?.write(p.record);
      }
      st.outbox.push({ device: st.device, boot: st.boot, seq, bootTime: st.bootTime, readings: chunk.map((p) => p.reading) });
    }
  };

  /** Seals what is pending and, when online, sends the outbox in order. */
  const flush = async (st: DeviceState): Promise<void> => {
    await seal(st);
    if (!st.online) return;
    for (const batch of st.outbox.splice(0)) {
      messages++;
      await transport.send(batch);
    }
  };

  const bootDevice = async (st: DeviceState, t: number, announce = true): Promise<void> => {
    const boot = st.reboot(t);
    await truth?.write({ type: "boot", device: st.device.id, boot, t });
    if (announce) await transport.boot(st.device, { boot, t });
  };

  const sample = (item: Series, t: number): void => {
    const st = states[item.device.index]!;
    let value = item.source.valueAt(t);
    if (t < st.downUntil) return;
    const { spec } = item;
    if (spec.min !== undefined) value = Math.max(spec.min, value);
    if (spec.max !== undefined) value = Math.min(spec.max, value);
    const applied = appliers.get(item.index)?.apply(t, value);
    if (applied && applied.value === undefined) return;
    if (applied) value = applied.value!;
    if (spec.round !== undefined) value = Number(value.toFixed(spec.round));
    generated++;
    const sentT = t + st.skew;
    const record: ReadingRecord = { type: "reading", device: item.device.id, site: item.device.site, sensor: item.sensor, t: sentT, value: toJsonNumber(value), boot: st.boot };
    if (st.skew !== 0) record.trueT = t;
    if (applied && applied.labels.length > 0) record.labels = applied.labels;
    if (!st.online && !st.buffering) {
      record.lost = true;
      lost++;
      void truth?.write(record);
      return;
    }
    if (st.pending.length === 0) st.firstPendingT = t;
    st.pending.push({ reading: { sensor: item.sensor, t: sentT, value }, record });
  };

  const fault = async (f: FaultWindow, phase: "start" | "end", t: number): Promise<void> => {
    const st = f.device ? states[f.device.index] : undefined;
    let applied = true;
    const spec = f.spec;
    if (st) {
      switch (spec.type) {
        case "disconnect":
          // Windows may overlap: the device is offline from the first start to the last end.
          if (phase === "start") {
            st.buffering = spec.buffer;
            if (st.offlineDepth++ > 0) break;
            await flush(st);
            st.online = false;
            await transport.setOnline(st.device, false);
          } else {
            if (--st.offlineDepth > 0) break;
            st.online = true;
            if (st.bootPending) await transport.boot(st.device, { boot: st.boot, t: st.bootTime });
            else await transport.setOnline(st.device, true);
            st.bootPending = false;
            await flush(st);
          }
          break;
        case "reboot":
          if (phase === "start") {
            await flush(st); // what was read before the reboot keeps its boot and seq
            st.downUntil = f.label.end;
          } else {
            await bootDevice(st, t, st.online);
            if (!st.online) st.bootPending = true;
          }
          break;
        case "clockSkew":
          st.skew += phase === "start" ? spec.offset : -spec.offset;
          break;
        case "garbage":
        case "crcError": {
          applied = transport.corruptions.has(spec.type);
          if (!applied) break;
          const rng = Prng.derive(fleet.seed, "corrupt", f.label.injection, st.device.id);
          const sensor = st.device.sensors[0]!.id;
          const c: Corruption =
            spec.type === "garbage"
              ? { type: "garbage", bytes: rng.bytes(spec.bytes) }
              : { type: "crcError", count: spec.count, batch: { device: st.device, boot: st.boot, seq: st.seq, bootTime: st.bootTime, readings: [{ sensor, t, value: rng.next() }] } };
          await transport.corrupt(st.device, c);
          break;
        }
      }
    }
    const rec: FaultRecord = { type: "fault", fault: spec.type, phase, t, applied };
    if (f.device) rec.device = f.device.id;
    await truth?.write(rec);
    await opts.onFault?.({ type: spec.type, phase, t, start: f.label.start, end: f.label.end, ...(f.device ? { device: f.device.id } : {}) });
  };

  await transport.start(fleet.devices);
  let wall0 = clock.now();
  try {
    await opts.onReady?.(transport);
    for (const st of states) await bootDevice(st, fleet.start, false);
    await mapLimit(states, transport.concurrency ?? 1, (st) => transport.boot(st.device, { boot: st.boot, t: st.bootTime }));
    const timeline = new Timeline(fleet, plan);
    wall0 = clock.now();
    const speed = opts.speed ?? "max";
    for (let t = timeline.peekTime(); t !== undefined; t = timeline.peekTime()) {
      // Fault windows running past the end (a reconnect, an outage's end) close without waiting.
      if (speed !== "max" && t <= fleet.end) {
        const wait = wall0 + (t - fleet.start) / speed - clock.now();
        if (wait > 2) await clock.sleep(wait);
      }
      while (timeline.peekTime() === t) {
        const item = timeline.pop()!;
        if (item.kind === "sample") sample(item.series, t);
        else await fault(item.fault, item.phase, t);
      }
      for (const st of states) {
        if (st.pending.length === 0) continue;
        if (st.pending.length >= maxReadings || every === 0 || t - st.firstPendingT >= every) await flush(st);
      }
      const s = transport.stats();
      opts.progress?.update({ t, start: fleet.start, end: fleet.end, readings: generated, messages, acked: s.readingsAcked });
    }
    for (const st of states) await flush(st);
    await transport.drain(opts.drainTimeoutMs ?? 30_000);
  } finally {
    opts.progress?.done();
    await transport.stop();
  }
  const s = transport.stats();
  await truth?.write({ type: "end", readings: generated, lost, messages });
  await truth?.close();
  const wallMs = Math.max(1, clock.now() - wall0);
  return {
    devices: fleet.devices.length,
    series: fleet.series.length,
    readingsGenerated: generated,
    readingsLost: lost,
    readingsSent: s.readingsSent,
    readingsAcked: s.readingsAcked,
    messagesSent: s.messagesSent,
    messagesAcked: s.messagesAcked,
    failed: s.failed,
    bytes: s.bytes,
    labels: plan.labels.length,
    eventMs: fleet.end - fleet.start,
    wallMs,
    readingsPerSecond: (s.readingsSent / wallMs) * 1000,
    achievedSpeed: (fleet.end - fleet.start) / wallMs,
  };
}
