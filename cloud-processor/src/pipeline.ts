/**
 * The per-message path: topic -> decode and validate -> dedupe -> rules (alerts go out now)
 * -> anomaly scores (off the event loop's critical path, see detectors/) -> points to the
 * sink writer. The returned promise resolves when the message's work is
 * durable (points written, or the bad payload kept in the dead-letter store); the MQTT
 * session acknowledges the message then. A bad message never throws out of here.
 */
import { parseTopic, type Telemetry } from "@fieldline/firmware-contracts";
import type { Logger } from "pino";
import type { AlertSignal } from "./alerts/signal.ts";
import type { AnomalyAlerts } from "./alerts/anomaly.ts";
import type { Detection } from "./detectors/detection.ts";
import type { DeadLetterStore } from "./ingest/dead-letter.ts";
import type { Deduper } from "./ingest/dedupe.ts";
import { Sequencer, type Position } from "./ingest/sequencer.ts";
import { decodeTelemetry } from "./ingest/telemetry.ts";
import type { Metrics } from "./metrics.ts";
import type { RulesService } from "./rules-service.ts";
import type { LineBatch } from "./sinks/sink.ts";
import { TelemetryLines } from "./sinks/telemetry-lines.ts";

export interface PipelineParts {
  dedupe: Deduper;
  deadLetters: DeadLetterStore;
  write: (batch: LineBatch) => Promise<void>;
  metrics: Metrics;
  log: Logger;
  /** Anomaly scoring (inline in slices, or in a worker thread); absent = no scores. */
  detection?: Detection;
  anomalies?: AnomalyAlerts;
  rules?: RulesService;
  /** Receives alert signals from rules and anomalies. */
  alert?: (s: AlertSignal) => void;
  /** Told about each device the first time it is seen (site, device). */
  deviceSeen?: (site: string, device: string) => void;
  /** Told when a telemetry message is durably stored (end-to-end acknowledgement to the device). */
  stored?: (site: string, device: string, boot: string, seq: number) => void;
  /** Readings further than this from the wall clock are kept from the rules (defaults: 1 day ahead, 3650 days back). */
  timeWindow?: { futureMs: number; pastMs: number };
  /** Per-device order for the rules (see ingest/sequencer.ts); defaults: 5 s, 5000. */
  order?: { holdMs: number; maxHeld: number };
}

interface Sequenced {
  site: string;
  msg: Telemetry;
}


export class Pipeline {
  private readonly lastLogged = new Map<string, number>();
  private readonly suppressed = new Map<string, number>();
  private readonly sites = new Map<string, string>();
  private readonly points = new TelemetryLines();
  /** The rules see each device's messages in the order it sent them. */
  private readonly order: Sequencer<Sequenced>;
  private readonly lateBoots = new Set<string>();
  /** Messages whose points are on their way to the sink, by (device, boot, seq). */
  private readonly writing = new Map<string, Promise<void>>();

  constructor(private readonly p: PipelineParts) {
    const { metrics, log } = p;
    this.order = new Sequencer<Sequenced>({
      holdMs: p.order?.holdMs ?? 5_000,
      maxHeld: p.order?.maxHeld ?? 5000,
      release: (_device, x) => this.rules(x.site, x.msg),
      gaveUp: (device, boot, from, to) => {
        metrics.orderGaveUp.inc(to - from + 1);
        log.warn({ event: "rules-gap-given-up", device, boot, from, to }, "telemetry seqs never arrived in time; rules went on without them");
      },
      outOfRange: (device, boot, seq, expected) => {
        metrics.orderLate.inc();
        log.warn({ event: "rules-seq-out-of-range", device, boot, seq, expected }, "telemetry seq far ahead of the expected one; evaluated as it came, position kept");
      },
      late: (device, boot, seq) => {
        metrics.orderLate.inc();
        const k = `${device}\u0000${boot}`;
        if (this.lateBoots.has(k)) return;
        if (this.lateBoots.size >= 10_000) this.lateBoots.clear();
        this.lateBoots.add(k);
        log.warn({ event: "rules-late-boot", device, boot, seq }, "messages of an earlier boot after a newer one; rules judge them by their times (logged once per boot)");
      },
    });
  }

  /** Gives up gaps that have waited long enough (called on the processor's tick). */
  expireOrder(): void {
    this.order.expire();
    this.p.metrics.orderHeld.set(this.order.held);
  }

  /** Where each device's order stands, for the rules checkpoint. */
  orderPositions(): Record<string, Position> {
    return this.order.positions();
  }

  restoreOrder(positions: Record<string, Position>): void {
    this.order.restore(positions);
  }

  /** Devices seen so far with their site. */
  get devices(): ReadonlyMap<string, string> {
    return this.sites;
  }

  handle(topic: string, payload: Uint8Array): Promise<void> {
    const { metrics } = this.p;
    const addr = parseTopic(topic);
    if (!addr || addr.kind !== "telemetry") return this.reject(topic, payload, "topic", `not a telemetry topic: ${topic}`);
    const r = decodeTelemetry(payload);
    if (!r.ok) return this.reject(topic, payload, r.error.reason, r.error.message);
    const msg = r.value;
    if (msg.device !== addr.device) {
      return this.reject(topic, payload, "device-mismatch", `payload device ${msg.device} on topic of ${addr.device}`);
    }
    if (!this.sites.has(msg.device)) {
      this.sites.set(msg.device, addr.site);
      this.p.deviceSeen?.(addr.site, msg.device);
    }
    const verdict = this.p.dedupe.check(msg.device, msg.boot, msg.seq);
    switch (verdict.kind) {
      case "duplicate": {
        metrics.duplicates.inc();
        metrics.messages.inc({ result: "duplicate" });
        // The first copy may still be on its way to the sink (a redelivery after a reconnect
        // while the database is slow): acknowledge the copy only once the first is written,
        // and write the copy itself if the first failed, so it is never acknowledged unwritten.
        // A device re-sends what it has no stored confirmation for: confirm it again.
        const first = this.writing.get(`${msg.device}\u0000${msg.boot}\u0000${msg.seq}`);
        const stored = this.p.stored;
        if (!first) {
          stored?.(addr.site, msg.device, msg.boot, msg.seq);
          return Promise.resolve();
        }
        return first.then(
          () => stored?.(addr.site, msg.device, msg.boot, msg.seq),
          () => this.track(addr.site, msg, this.store(addr.site, msg)),
        );
      }
      case "gap":
        metrics.gaps.inc();
        metrics.missingSeqs.inc(verdict.missing);
        this.p.log.warn({ event: "seq-gap", site: addr.site, device: msg.device, boot: msg.boot, from: verdict.from, to: verdict.to, missing: verdict.missing }, "telemetry seq gap");
        break;
      case "reboot":
        metrics.reboots.inc();
        if (verdict.previousBoot !== undefined) {
          this.p.log.info({ event: "reboot", site: addr.site, device: msg.device, boot: msg.boot, previousBoot: verdict.previousBoot, seq: msg.seq }, "device rebooted");
        }
        break;
      case "late":
        metrics.lateMessages.inc();
        break;
      default:
        break;
    }
    metrics.messages.inc({ result: "ok" });
    metrics.readings.inc(msg.readings.length);
    this.order.offer(msg.device, msg.boot, msg.seq, { site: addr.site, msg });
    return this.track(addr.site, msg, this.store(addr.site, msg));
  }

  /** Scores (if detection is on) and writes a message's points; resolves once durable. */
  private store(site: string, msg: Telemetry): Promise<void> {
    if (!this.p.detection) return this.p.write(this.points.lines(site, msg, undefined));
    return new Promise<void>((resolve, reject) => {
      this.detect(site, msg, (scores) => this.p.write(this.points.lines(site, msg, scores)).then(resolve, reject));
    });
  }

  /** Keeps the write findable by (device, boot, seq) while under way; confirms it stored after. */
  private track(site: string, msg: Telemetry, written: Promise<void>): Promise<void> {
    const key = `${msg.device}\u0000${msg.boot}\u0000${msg.seq}`;
    this.writing.set(key, written);
    const done = () => {
      if (this.writing.get(key) === written) this.writing.delete(key);
    };
    written.then(
      () => {
        done();
        this.p.stored?.(site, msg.device, msg.boot, msg.seq);
      },
      done,
    );
    return written;
  }

  /** Runs the rules over a message's readings (as soon as it is in order), before scoring, so their alerts go out first. */
  private rules(site: string, msg: Telemetry): void {
    const { rules, alert, metrics } = this.p;
    let nonFinite = 0;
    let outside = 0;
    let outsideT = 0;
    // A reading stamped far from now (a device clock gone wrong) would move the device's
    // event time and silence its rules: it is kept from the rules (its points are stored).
    const now = Date.now();
    const latest = now + (this.p.timeWindow?.futureMs ?? 86_400_000);
    const earliest = now - (this.p.timeWindow?.pastMs ?? 3650 * 86_400_000);
    for (const rd of msg.readings) {
      if (!Number.isFinite(rd.value)) nonFinite++;
      if (rd.t > latest || rd.t < earliest) {
        if (outside++ === 0) outsideT = rd.t;
        continue;
      }
      if (rules && alert) {
        for (const s of rules.push(site, { device: msg.device, sensor: rd.sensor, t: rd.t, value: rd.value, boot: msg.boot })) alert(s);
      }
    }
    if (nonFinite) metrics.nonFinite.inc(nonFinite);
    if (outside) this.quarantined(site, msg, outside, outsideT);
  }

  private quarantined(site: string, msg: Telemetry, n: number, t: number): void {
    this.p.metrics.timeQuarantined.inc(n);
    const k = `time\u0000${msg.device}`;
    const now = Date.now();
    const last = this.lastLogged.get(k);
    if (last !== undefined && now - last < 60_000) return;
    this.lastLogged.set(k, now);
    this.p.log.warn({ event: "reading-time-quarantined", site, device: msg.device, boot: msg.boot, seq: msg.seq, readings: n, t }, "readings stamped too far from now kept from the rules (stored, not evaluated; logged once a minute per device)");
  }

  /** Scores the finite readings (NaN for the others), then calls `done` with the scores. */
  private detect(site: string, msg: Telemetry, done: (scores: Float64Array | undefined) => void): void {
    const { detection, anomalies, alert } = this.p;
    const readings = msg.readings;
    const n = readings.length;
    let finite = 0;
    for (let i = 0; i < n; i++) if (Number.isFinite(readings[i]!.value)) finite++;
    // idx only when some readings are not finite (the common message has none).
    const idx = finite === n ? undefined : new Int32Array(finite);
    const t = new Float64Array(finite);
    const values = new Float64Array(finite);
    const sensors = new Array<string>(finite);
    for (let i = 0, k = 0; i < n; i++) {
      const rd = readings[i]!;
      if (idx) {
        if (!Number.isFinite(rd.value)) continue;
        idx[k] = i;
      }
      t[k] = rd.t;
      values[k] = rd.value;
      sensors[k++] = rd.sensor;
    }
    detection!.score({ device: msg.device, sensors, t, values }).then(
      (got) => {
        const scores = idx ? new Float64Array(n).fill(NaN) : got;
        for (let k = 0; k < finite; k++) {
          const i = idx ? idx[k]! : k;
          const score = got[k]!;
          scores[i] = score;
          if (anomalies) {
            const rd = readings[i]!;
            const s = anomalies.observe(site, msg.device, rd.sensor, rd.t, rd.value, score);
            if (s && alert) alert(s);
          }
        }
        done(scores);
      },
      (err: unknown) => {
        // Scoring is an enrichment: the points are still stored, without a score.
        this.p.log.error({ device: msg.device, err: (err as Error).message }, "detection failed; points stored without scores");
        done(undefined);
      },
    );
  }

  private reject(topic: string, payload: Uint8Array, reason: string, message: string): Promise<void> {
    this.p.metrics.badPayloads.inc({ reason });
    this.p.metrics.messages.inc({ result: "dead-letter" });
    this.logOnce(topic, reason, message, payload.length);
    return this.p.deadLetters.add(topic, reason, message, payload);
  }

  /** Logs a bad payload once per (topic, reason) per minute, with how many were suppressed. */
  private logOnce(topic: string, reason: string, message: string, bytes: number): void {
    const k = `${topic}\u0000${reason}`;
    const now = Date.now();
    const last = this.lastLogged.get(k);
    if (last !== undefined && now - last < 60_000) {
      this.suppressed.set(k, (this.suppressed.get(k) ?? 0) + 1);
      return;
    }
    const suppressed = this.suppressed.get(k) ?? 0;
    this.suppressed.delete(k);
    this.lastLogged.set(k, now);
    if (this.lastLogged.size > 10_000) this.lastLogged.clear();
    this.p.log.warn({ topic, reason, bytes, suppressed, deadLetters: this.p.deadLetters.path }, `bad payload: ${message}`);
  }
}
