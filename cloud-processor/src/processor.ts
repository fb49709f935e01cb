/**
 * The processor: wires session -> pipeline -> writer -> sink, detectors, rules and alerts,
 * and the operator API. The constructor only stores; start() acquires files, connections,
 * sockets and timers; stop() releases every one of them.
 */
import { appendFile, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { decodePayload, parseTopic, topicFilter } from "@fieldline/firmware-contracts";
import { pino, type Logger } from "pino";
import { AnomalyAlerts } from "./alerts/anomaly.ts";
import { AlertManager } from "./alerts/manager.ts";
import { AlertHistory, MqttAlertOutput, SinkAlertOutput } from "./alerts/outputs.ts";
import type { AlertSignal } from "./alerts/signal.ts";
import { HttpApi } from "./api/http.ts";
import { AUDIT_FILE, AuditLog } from "./auth/audit.ts";
import { TOKENS_FILE, TokenStore } from "./auth/token-store.ts";
import type { Config } from "./config.ts";
import { ALERT_THRESHOLD, defaultDetector, type DetectorFactory } from "./detection/index.ts";
import type { Detection } from "./detectors/detection.ts";
import { InlineDetection } from "./detectors/inline.ts";
import { WorkerDetection } from "./detectors/worker.ts";
import { DeadLetterStore } from "./ingest/dead-letter.ts";
import { Deduper } from "./ingest/dedupe.ts";
import { StoredAcks } from "./ingest/stored-acks.ts";
import { MqttSession } from "./ingest/session.ts";
import { Metrics } from "./metrics.ts";
import { Pipeline } from "./pipeline.ts";
import { RulesService } from "./rules-service.ts";
import { toBatch } from "./sinks/line-protocol.ts";
import { createSink } from "./sinks/registry.ts";
import type { Sink } from "./sinks/sink.ts";
import { SinkWriter } from "./sinks/writer.ts";

const isStateTopic = (topic: string) => topic.endsWith("/state") && parseTopic(topic)?.kind === "state";

export interface ProcessorDeps {
  log?: Logger;
  metrics?: Metrics;
  /** Detector per series (default: the detection module's defaultDetector). */
  detector?: DetectorFactory;
  alertThreshold?: number;
  /** Overrides the sink the config names. */
  sink?: Sink;
}

export class Processor {
  readonly log: Logger;
  readonly metrics: Metrics;
  readonly writer: SinkWriter;
  readonly session: MqttSession;
  readonly alerts: AlertManager;
  readonly rules: RulesService;
  readonly pipeline: Pipeline;
  readonly api: HttpApi;
  readonly detection: Detection | undefined;
  private readonly deadLetters: DeadLetterStore;
  private readonly history: AlertHistory;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly anomalies: AnomalyAlerts | undefined;
  readonly storedAcks: StoredAcks;
  private stopping = false;

  constructor(
    readonly cfg: Config,
    deps: ProcessorDeps = {},
  ) {
    const log = (this.log = deps.log ?? pino({ level: cfg.log.level, base: { component: "cloud-processor" } }));
    const metrics = (this.metrics = deps.metrics ?? new Metrics());
    const dir = cfg.dataDir;
    const sink = deps.sink ?? createSink(cfg.sink);
    this.writer = new SinkWriter(sink, cfg.writer, log, {
      written: (n, ms) => {
        metrics.pointsWritten.inc(n);
        metrics.writeSeconds.observe(ms / 1000);
      },
      failed: (err) => metrics.sinkErrors.inc({ retryable: String(err.retryable) }),
      rejected: async (batch) => {
        metrics.pointsRejected.inc(batch.points);
        await appendFile(join(dir, "rejected.lp"), batch.lines);
      },
    });
    this.deadLetters = new DeadLetterStore(join(dir, "dead-letters.jsonl"));
    this.history = new AlertHistory(join(dir, "alerts.jsonl"));
    const scope = cfg.mqtt.site ? { site: cfg.mqtt.site } : {};
    // state: the labels devices report, for label-scoped rules.
    const filters = [topicFilter("telemetry", scope), topicFilter("state", scope)];
    this.session = new MqttSession(
      { ...cfg.mqtt, filters },
      (topic, payload) => (isStateTopic(topic) ? this.onState(topic, payload) : this.pipeline.handle(topic, payload)),
      log,
      () => this.stopping || this.writer.bufferedPoints + (this.detection?.pending ?? 0) >= cfg.writer.maxBufferedPoints,
    );
    const publish = (topic: string, payload: Uint8Array, o: { retain: boolean }) => this.session.publish(topic, payload, o);
    this.alerts = new AlertManager(
      [
        new MqttAlertOutput(publish),
        this.history,
        new SinkAlertOutput((points) => {
          this.writer.enqueue(toBatch(points)).catch((err: unknown) => log.warn({ err: (err as Error).message }, "alert point not stored"));
          return Promise.resolve();
        }),
      ],
      cfg.alerts,
      log,
      {
        transition: (state) => metrics.alertTransitions.inc({ state }),
        flap: () => metrics.alertFlaps.inc(),
        outputError: () => metrics.alertOutputErrors.inc(),
      },
    );
    this.rules = new RulesService(join(dir, "rules.json"), publish, log);
    if (cfg.detection.enabled) {
      const path = join(dir, "detectors.json");
      const resume = () => this.session.resume();
      this.detection =
        deps.detector || cfg.detection.thread === "inline"
          ? new InlineDetection(deps.detector ?? defaultDetector, path, log, resume)
          : new WorkerDetection(path, cfg.log.level, resume);
    }
    const anomalies = (this.anomalies = cfg.detection.enabled && cfg.detection.alerts
      ? new AnomalyAlerts(deps.alertThreshold ?? ALERT_THRESHOLD, cfg.detection.clearAfterMs)
      : undefined);
    const signal = (s: AlertSignal) => {
      this.alerts.signal(s).catch((err: unknown) => log.error({ err: (err as Error).message }, "alert signal failed"));
    };
    this.storedAcks = new StoredAcks((topic, payload) => this.session.publish(topic, payload, { qos: 1 }), cfg.mqtt.storedAckMs, log);
    this.pipeline = new Pipeline({
      dedupe: new Deduper(),
      deadLetters: this.deadLetters,
      write: (points) => this.writer.enqueue(points),
      metrics,
      log,
      detection: this.detection,
      anomalies,
      rules: this.rules,
      alert: signal,
      deviceSeen: (site, device) => this.rules.deviceSeen(site, device),
      order: { holdMs: cfg.rules.reorderMs, maxHeld: cfg.rules.reorderMaxHeld },
      timeWindow: { futureMs: cfg.rules.maxFutureMs, pastMs: cfg.rules.maxPastMs },
      stored: cfg.mqtt.storedAckMs > 0 ? (site, device, boot, seq) => this.storedAcks.add(site, device, boot, seq) : undefined,
    });
    this.writer.on("drained", () => this.session.resume());
    this.api = new HttpApi(
      {
        alerts: () => this.alerts.list(),
        acknowledge: (id, by) => this.alerts.acknowledge(id, by),
        rules: () => ({ version: this.rules.version, yaml: this.rules.yaml }),
        validateRules: (yaml) => this.rules.validate(yaml),
        applyRules: (yaml) => this.rules.apply(yaml),
        health: () => this.health(),
        registry: metrics.registry,
      },
      { ...cfg.http, tokens: new TokenStore(join(dir, TOKENS_FILE)), audit: new AuditLog(join(dir, AUDIT_FILE), log), log },
    );
  }

  /** A device's state message: its labels go to the rules (a change re-scopes its rules). */
  private onState(topic: string, payload: Uint8Array): Promise<void> {
    const addr = parseTopic(topic)!;
    if (payload.length === 0) return Promise.resolve(); // a retained state cleared
    const r = decodePayload("state", payload);
    if (!r.ok || r.value.device !== addr.device) {
      this.metrics.badPayloads.inc({ reason: r.ok ? "device-mismatch" : r.error.reason });
      return Promise.resolve();
    }
    for (const s of this.rules.deviceLabels(addr.site, addr.device, r.value.labels)) {
      this.alerts.signal(s).catch((err: unknown) => this.log.error({ err: (err as Error).message }, "alert signal failed"));
    }
    return Promise.resolve();
  }

  health(): { ok: boolean; mqtt: boolean; sink: boolean; bufferedPoints: number; unacked: number; paused: boolean } {
    const mqtt = this.session.connected;
    const sink = this.writer.healthy;
    return { ok: mqtt && sink, mqtt, sink, bufferedPoints: this.writer.bufferedPoints, unacked: this.session.inflight, paused: this.session.paused };
  }

  async start(): Promise<void> {
    this.stopping = false;
    await mkdir(this.cfg.dataDir, { recursive: true });
    await this.rules.load(this.cfg.rules.file);
    await this.restoreOrder();
    await this.deadLetters.start();
    await this.history.start();
    const active = await this.history.active();
    this.alerts.restore(active);
    this.anomalies?.restore(active);
    await this.writer.start();
    if (this.detection) {
      const n = await this.detection.start();
      if (n > 0) this.log.info({ series: n, thread: this.detection.name }, "detectors restored from checkpoint");
    }
    await this.api.start();
    this.session.start();
    this.storedAcks.start();
    const { tickMs } = this.cfg.alerts;
    if (tickMs > 0) this.timers.push(setInterval(() => this.tick(), tickMs));
    if (this.cfg.detection.checkpointIntervalMs > 0) {
      this.timers.push(setInterval(() => void this.checkpoint(), this.cfg.detection.checkpointIntervalMs));
    }
    this.log.info({ sink: this.writer.sink.name, api: this.api.url, mqtt: this.cfg.mqtt.url }, "processor started");
  }

  private tick(): void {
    this.pipeline.expireOrder();
    if (this.cfg.rules.wallClock) for (const s of this.rules.advance(Date.now())) void this.alerts.signal(s).catch(() => {});
    void this.alerts.tick();
    const m = this.metrics;
    m.buffered.set(this.writer.bufferedPoints);
    m.inflight.set(this.session.inflight);
    m.paused.set(this.session.paused ? 1 : 0);
    m.activeAlerts.set(this.alerts.list().length);
    const late = this.rules.stats()?.late;
    if (late !== undefined) m.rulesLate.set(late);
    m.detectorSeries.set(this.detection?.series ?? 0);
    m.mqttConnected.set(this.session.connected ? 1 : 0);
    m.sinkHealthy.set(this.writer.healthy ? 1 : 0);
  }

  private async checkpoint(): Promise<void> {
    try {
      await this.detection?.checkpoint();
      await this.rules.checkpoint();
    } catch (err) {
      this.log.error({ err: (err as Error).message }, "checkpoint failed");
    }
  }

  private get orderPath(): string {
    return join(this.cfg.dataDir, "rules-order.json");
  }

  /**
   * Where each device's message order stood, saved only by a graceful stop, after the last
   * acknowledgement and with the rules' final state: then it is exact, and a live message
   * that overtakes the broker's backlog after the restart waits for it. After a crash the
   * file is absent (start() removes it once read): messages the crashed processor evaluated
   * and acknowledged after its last checkpoint are never redelivered, so positions from a
   * periodic checkpoint would hold every device's rules back for rules.reorderMs waiting for
   * them. The first message seen of each device then starts its order.
   */
  private async saveOrder(): Promise<void> {
    await writeFile(`${this.orderPath}.tmp`, JSON.stringify(this.pipeline.orderPositions()));
    await rename(`${this.orderPath}.tmp`, this.orderPath);
  }

  private async restoreOrder(): Promise<void> {
    try {
      this.pipeline.restoreOrder(JSON.parse(await readFile(this.orderPath, "utf8")) as Parameters<Pipeline["restoreOrder"]>[0]);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") this.log.warn({ err: (err as Error).message }, "rules order positions unreadable; starting fresh");
    }
    await rm(this.orderPath, { force: true });
  }

  /** Stops reading, drains the sink (up to graceMs), acknowledges what was written, then releases everything. */
  async stop(graceMs = 5000): Promise<void> {
    this.stopping = true;
    for (const t of this.timers.splice(0)) clearInterval(t);
    // Scores what is queued (its points then go to the writer), checkpoints, ends the thread.
    await this.detection?.stop().catch((err: unknown) => this.log.error({ err: (err as Error).message }, "detection stop failed"));
    await this.writer.stop(graceMs);
    await this.alerts.idle();
    await this.storedAcks.stop();
    await this.session.stop();
    await this.rules.checkpoint().catch((err: unknown) => this.log.error({ err: (err as Error).message }, "rules checkpoint failed"));
    await this.saveOrder().catch((err: unknown) => this.log.error({ err: (err as Error).message }, "rules order positions not saved"));
    await this.history.stop();
    await this.deadLetters.stop();
    await this.api.stop();
    this.log.info("processor stopped");
  }
}
