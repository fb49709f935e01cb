/**
 * The edge agent: inputs -> local safety -> batcher -> outbox -> uplink, plus commands and
 * desired config from the cloud, metrics and health. The constructor stores; `start()`
 * opens files, lines, ports and the MQTT session; `stop()` releases all of them.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pino, type Logger } from "pino";
import type { Command, DesiredConfig, PayloadError, Reading } from "@fieldline/firmware-contracts";
import { ID_PATTERN } from "@fieldline/firmware-contracts";
import { ConfigError } from "../config/load";
import type { AgentConfig } from "../config/schema";
import type { GpioChip, OutputLine } from "../gpio/chip";
import { gpioRegistry } from "../gpio/registry";
import { inputRegistry } from "../inputs/registry";
import type { ReadingSource, SourceEvent, SourceReading, SourceSink, StoredMark } from "../inputs/source";
import { OpsServer } from "../ops/http";
import { AgentMetrics } from "../ops/metrics";
import { SegmentOutbox, type Outbox } from "../outbox";
import { Actuators, type LatchRecord } from "../safety/actuators";
import { LocalSafety, checkLines } from "../safety/safety";
import type { RulesEngine, Transition } from "../safety/engine";
import { Envelope } from "../uplink/envelope";
import { Uplink } from "../uplink/uplink";
import { Batcher } from "./batcher";
import { runCommand } from "./commands";
import { prepareRules, type StoredConfig } from "./desired-config";
import { decodeMarks, encodeMarks } from "./marks";
import { Messages } from "./messages";
import { readJson, writeJsonAtomic } from "./state-file";

export const AGENT_VERSION = "fieldline-edge/0.1.0";

export interface AgentDeps {
  logger?: Logger;
  clock?: () => number;
  /** Used instead of the configured inputs (benchmarks, tests). */
  sources?: ReadingSource[];
  /** Used instead of creating the configured chip. */
  gpio?: GpioChip;
  outbox?: Outbox;
  /** Least time between two `outbox-full` events (default 10 s). */
  fullReportMs?: number;
  /** Passed to every input (InputDeps.afterStore): a test hook, absent in production. */
  afterStore?: (input: string, seqs: readonly number[]) => void;
}

export class Agent {
  readonly metrics: AgentMetrics;
  readonly envelope: Envelope;
  readonly outbox: Outbox;
  readonly logger: Logger;
  private readonly clock: () => number;
  private readonly messages: Messages;
  private readonly batcher: Batcher<StoredMark[]>;
  private uplink: Uplink | undefined;
  private safety: LocalSafety | undefined;
  private actuators: Actuators | undefined;
  private chip: GpioChip | undefined;
  private sources: ReadingSource[] = [];
  private tick: NodeJS.Timeout | undefined;
  private ops: OpsServer | undefined;
  private configVersion = -1;
  private reportedVersion: number | undefined;
  private firmware: string | undefined;
  private readonly goodSensors = new Set<string>();
  private readonly loggedRejects = new Set<string>();
  private fullSince = { records: 0, bytes: 0 };
  private fullTimer: NodeJS.Timeout | undefined;
  private stopping = false;
  /** Where /healthz and /metrics listen, once started. */
  httpPort: number | undefined;

  constructor(
    readonly cfg: AgentConfig,
    private readonly deps: AgentDeps = {},
  ) {
    this.logger = deps.logger ?? pino({ level: cfg.log.level, base: { device: cfg.device.id } });
    this.clock = deps.clock ?? Date.now;
    this.envelope = new Envelope(cfg.device.id);
    const o = cfg.outbox;
    this.outbox =
      deps.outbox ??
      new SegmentOutbox({
        dir: o.dir ?? join(cfg.dataDir, "outbox"),
        maxBytes: o.maxBytes,
        segmentBytes: o.segmentBytes,
        fsync: o.fsync,
        fsyncIntervalMs: o.fsyncIntervalMs,
        full: o.full,
        onFull: (i) => this.onOutboxFull(i.records, i.bytes),
      });
    this.metrics = new AgentMetrics(
      () => this.outbox.stats(),
      () => this.messages.failed,
    );
    this.messages = new Messages(this.envelope, this.outbox, this.clock, () => this.uplink?.kick(), this.logger);
    this.batcher = new Batcher<StoredMark[]>({
      maxBatch: cfg.telemetry.maxBatch,
      lingerMs: cfg.telemetry.lingerMs,
      flush: (batches, marks) =>
        this.messages.telemetryAll(
          batches,
          encodeMarks(marks, (bytes) => this.logger.warn({ bytes }, "stored marks too large for one outbox record; kept in the state files only")),
        ),
    });
  }

  /** The sink every input delivers to. Readings hit local safety before anything else. */
  readonly sink: SourceSink = {
    readings: (rs, marks) => this.onReadings(rs, marks),
    stored: (done) => this.batcher.whenFlushed(done),
    event: (e) => this.onSourceEvent(e),
    rejected: (reason, detail) => this.reject(reason, detail),
  };

  async start(): Promise<void> {
    try {
      await this.startAll();
    } catch (err) {
      // Release whatever was acquired (outbox files, GPIO lines, sockets) before failing.
      await this.stop(0).catch(() => undefined);
      throw err;
    }
  }

  private async startAll(): Promise<void> {
    const { cfg, logger } = this;
    await this.outbox.open();
    const recoveredMarks = decodeMarks(this.outbox.recoveredMeta());
    const s = this.outbox.stats();
    logger.info({ depth: s.depth, bytes: s.bytes, tornBytes: s.tornBytes, boot: this.envelope.boot }, "outbox open");
    if (s.tornBytes > 0) {
      this.messages.event({ type: "outbox-torn-tail", severity: "warning", message: `skipped ${s.tornBytes} torn bytes`, data: { bytes: s.tornBytes } });
    }
    await this.startGpio();
    this.startSafety();
    this.uplink = new Uplink({
      broker: cfg.broker,
      address: { site: cfg.device.site, device: cfg.device.id },
      envelope: this.envelope,
      outbox: this.outbox,
      clock: this.clock,
      agent: AGENT_VERSION,
      firmware: () => this.firmware,
      handlers: {
        command: (c) => this.onCommand(c),
        desiredConfig: (d) => this.onDesiredConfig(d),
        badMessage: (topic, err) => this.onBadMessage(topic, err),
        status: (up, reason) => {
          this.metrics.connected.set(up ? 1 : 0);
          if (up) logger.info("mqtt connected");
          else logger.warn({ reason }, "mqtt disconnected");
        },
        acked: (kind, sec) => this.metrics.publishLatency.observe({ kind }, sec),
        resent: (waiting) => {
          this.metrics.resent.inc(waiting);
          this.logger.warn({ waiting }, "cloud confirmed nothing stored in time; republishing unconfirmed telemetry");
        },
      },
    });
    this.uplink.start();
    this.messages.event({ type: "agent-started", severity: "info", data: { agent: AGENT_VERSION, outboxDepth: s.depth } });
    this.sources =
      this.deps.sources ??
      cfg.inputs.map((i) => {
        const entry = i as { type: string };
        return inputRegistry[entry.type]!.create(i, {
          clock: this.clock,
          gpio: this.chip,
          logger,
          stateDir: join(cfg.dataDir, "inputs"),
          recoveredMarks,
          ...(this.deps.afterStore ? { afterStore: this.deps.afterStore } : {}),
        });
      });
    for (const src of this.sources) await src.start(this.sink);
    this.tick = setInterval(() => this.safety?.advance(this.clock()), cfg.rules.tickMs);
    this.tick.unref();
    if (cfg.http.listen !== null) {
      this.ops = new OpsServer({ listen: cfg.http.listen, registry: this.metrics.registry, health: () => this.health() });
      this.httpPort = (await this.ops.start()).port;
    }
    logger.info({ inputs: this.sources.map((x) => x.id), http: this.httpPort }, "agent started");
  }

  /** Graceful stop: inputs first, last batch to the outbox, up to `drainMs` to publish it. */
  async stop(drainMs = 5000): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    for (const src of this.sources) await src.stop().catch((err: unknown) => this.logger.error({ err }, "input stop failed"));
    if (this.tick) clearInterval(this.tick);
    if (this.fullTimer) clearTimeout(this.fullTimer);
    this.batcher.stop();
    const r = (await this.uplink?.stop(drainMs)) ?? { drained: false };
    this.outbox.sync();
    const left = this.outbox.stats().depth;
    await this.outbox.close();
    await this.chip?.close();
    await this.ops?.stop();
    this.logger.info({ drained: r.drained, outboxDepth: left }, "agent stopped");
  }

  health(): { ok: boolean } & Record<string, unknown> {
    const s = this.outbox.stats();
    return {
      ok: !this.stopping,
      mqtt: this.uplink?.connected ? "up" : "down",
      boot: this.envelope.boot,
      outbox: { depth: s.depth, bytes: s.bytes, dropped: s.dropped },
      inputs: this.sources.map((x) => x.id),
      configVersion: this.configVersion,
      outputs: this.actuators?.states() ?? [],
    };
  }

  /** The actuators (for tests and the benchmark). */
  get outputs(): Actuators | undefined {
    return this.actuators;
  }

  private async startGpio(): Promise<void> {
    const g = this.cfg.gpio;
    if (!g) return;
    this.chip = this.deps.gpio ?? gpioRegistry[(g.chip as { type: string }).type]!.create(g.chip);
    const lines = new Map<string, OutputLine>();
    const refs: Record<string, number | string> = {};
    const latchFile = join(this.cfg.dataDir, "latches.json");
    const saved = readJson<LatchRecord[]>(latchFile) ?? [];
    for (const [name, o] of Object.entries(g.outputs)) {
      const latched = saved.find((l) => l.line === name);
      lines.set(name, await this.chip.output(o.line, latched?.value ?? o.initial));
      refs[name] = o.line;
    }
    this.actuators = new Actuators(lines, refs, (ls) => {
      this.metrics.latched.set(ls.length);
      writeJsonAtomic(latchFile, ls);
    });
    const restored = this.actuators.restore(saved);
    this.metrics.latched.set(restored.length);
    if (restored.length > 0) {
      this.logger.warn({ lines: restored }, "latched outputs restored from before the restart");
      this.messages.event({ type: "latch-restored", severity: "warning", message: `still latched: ${restored.join(", ")}`, data: { lines: restored } });
    }
  }

  private startSafety(): void {
    const actuators = this.actuators ?? new Actuators(new Map());
    this.safety = new LocalSafety({
      actuators,
      onTransition: (t, outcomes) => this.onTransition(t, outcomes),
      onDrive: (line, _v, _latched, rule) => this.metrics.shutoffs.inc({ line: String(line), rule }),
    });
    const stored = readJson<StoredConfig>(this.desiredFile());
    if (stored) {
      const p = prepareRules(stored.rules, `desired-config v${stored.version}`, (e) => checkLines(e, actuators));
      if (p.ok) {
        this.useRules(p.engine, stored.version);
        this.logger.info({ version: stored.version }, "rules from the stored desired config");
        return;
      }
      this.logger.error({ error: p.error }, "stored desired config no longer valid; using the local rules file");
    }
    const file = this.cfg.rules.file;
    if (file === undefined) return;
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (err) {
      throw new ConfigError(file, [`rules.file: cannot read: ${(err as Error).message}`]);
    }
    const p = prepareRules(text, file, (e) => checkLines(e, actuators));
    if (!p.ok) throw new ConfigError(file, p.error.split("\n"));
    this.useRules(p.engine, -1);
  }

  private useRules(engine: RulesEngine, version: number): void {
    this.safety!.use(engine);
    this.configVersion = version;
    this.metrics.configVersion.set(version);
  }

  private desiredFile(): string {
    return join(this.cfg.dataDir, "desired-config.json");
  }

  private onReadings(rs: SourceReading[], marks?: StoredMark[]): void {
    this.batcher.group(() => this.addReadings(rs), marks);
  }

  private addReadings(rs: SourceReading[]): void {
    const device = this.cfg.device.id;
    let n = 0;
    for (const r of rs) {
      if (!this.goodSensors.has(r.sensor)) {
        if (!ID_PATTERN.test(r.sensor)) {
          this.reject("reading-sensor-id", r.sensor);
          continue;
        }
        this.goodSensors.add(r.sensor);
      }
      const t = Number.isInteger(r.t) ? r.t : Math.round(r.t);
      if (!Number.isFinite(t) || typeof r.value !== "number") {
        this.reject("reading-invalid", `${r.sensor} t=${r.t}`);
        continue;
      }
      n++;
      this.safety?.push({ device, sensor: r.sensor, t, value: r.value });
      const reading: Reading = r.q === undefined || r.q === 0 ? { sensor: r.sensor, t, value: r.value } : { sensor: r.sensor, t, value: r.value, q: r.q };
      this.batcher.add(reading);
    }
    this.metrics.readingsIn.inc(n);
  }

  private onSourceEvent(e: SourceEvent): void {
    if (typeof e.data?.firmware === "string") this.firmware = e.data.firmware.slice(0, 64);
    this.messages.event({ type: e.type.slice(0, 64), severity: e.severity, message: e.message?.slice(0, 1024), data: e.data });
  }

  private reject(reason: string, detail?: string): void {
    this.metrics.rejected.inc({ reason });
    if (!this.loggedRejects.has(reason)) {
      this.loggedRejects.add(reason);
      this.logger.warn({ reason, detail }, "input rejected (logged once per reason, counted in metrics)");
    }
  }

  private onTransition(t: Transition, outcomes: { action: unknown; applied: boolean; error?: string }[]): void {
    this.metrics.transitions.inc({ kind: t.kind });
    const data: Record<string, unknown> = {
      kind: t.kind,
      actions: outcomes.map((o) => ({ ...(o.action as object), applied: o.applied, ...(o.error ? { error: o.error } : {}) })),
      cause: t.cause.map((c) => ({ sensor: c.sensor, t: c.t, value: c.value })),
    };
    this.logger.warn({ rule: t.rule, kind: t.kind, severity: t.severity }, "rule transition");
    this.messages.event({ type: `rule-${t.kind}`, t: t.t, severity: t.severity, rule: t.rule, message: t.message?.slice(0, 1024), data });
  }

  private onCommand(c: Command): void {
    const outcome = runCommand(c.name, c.args, {
      actuators: this.actuators,
      clock: this.clock,
      event: (type, message, data) => this.messages.event({ type, severity: "info", message, data: { ...data, command: c.id } }),
    });
    this.metrics.commands.inc({ name: c.name.slice(0, 32), ok: String(outcome.ok) });
    this.logger.info({ command: c.name, id: c.id, ok: outcome.ok }, "command");
    this.messages.commandResult(outcome.ok ? { id: c.id, ok: true, result: outcome.result } : { id: c.id, ok: false, error: outcome.error.slice(0, 1024) });
  }

  private onDesiredConfig(d: DesiredConfig): void {
    if (d.version === this.configVersion) {
      if (this.reportedVersion !== d.version) this.report(d.version, true);
      return;
    }
    if (d.version < this.configVersion) {
      this.logger.warn({ version: d.version, applied: this.configVersion }, "older desired config ignored");
      return;
    }
    const actuators = this.actuators ?? new Actuators(new Map());
    const p = prepareRules(d.rules, `desired-config v${d.version}`, (e) => checkLines(e, actuators));
    if (!p.ok) {
      this.logger.error({ version: d.version, error: p.error }, "desired config rejected; keeping the current rules");
      this.report(d.version, false, p.error);
      return;
    }
    writeJsonAtomic(this.desiredFile(), { version: d.version, rules: d.rules } satisfies StoredConfig);
    this.useRules(p.engine, d.version);
    this.logger.info({ version: d.version, rules: p.engine.ruleSet.rules.length }, "desired config applied");
    this.messages.event({ type: "config-applied", severity: "info", data: { version: d.version } });
    this.report(d.version, true);
  }

  private report(version: number, ok: boolean, error?: string): void {
    this.reportedVersion = version;
    this.messages.reportedConfig(ok ? { version, ok } : { version, ok, error });
  }

  private onBadMessage(topic: string, err: PayloadError): void {
    this.metrics.badMessages.inc({ reason: err.reason });
    this.logger.warn({ topic, reason: err.reason, error: err.message }, "bad message from the cloud");
  }

  /** Drops are reported as one event per 10 s at most, with the counts since the last one. */
  private onOutboxFull(records: number, bytes: number): void {
    this.fullSince.records += records;
    this.fullSince.bytes += bytes;
    if (this.fullTimer || this.stopping) return;
    this.fullTimer = setTimeout(() => {
      this.fullTimer = undefined;
      const { records: r, bytes: b } = this.fullSince;
      this.fullSince = { records: 0, bytes: 0 };
      const s = this.outbox.stats();
      this.logger.warn({ records: r, bytes: b, policy: this.cfg.outbox.full }, "outbox full");
      this.messages.event({
        type: "outbox-full",
        severity: "warning",
        message: `${this.cfg.outbox.full}: ${r} messages (${b} bytes) lost`,
        data: { policy: this.cfg.outbox.full, records: r, bytes: b, droppedTotal: s.dropped, refusedTotal: s.refused },
      });
    }, this.deps.fullReportMs ?? 10_000);
    this.fullTimer.unref();
  }
}
