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
import { GpioError, type GpioChip, type OutputLine } from "../gpio/chip";
import { gpioRegistry } from "../gpio/registry";
import { inputRegistry } from "../inputs/registry";
import type { ReadingSource, SourceEvent, SourceReading, SourceSink, StoredMark } from "../inputs/source";
import { OpsServer } from "../ops/http";
import { AgentMetrics } from "../ops/metrics";
import { FallbackOutbox, SegmentOutbox, type Outbox, type StorageFault, type StorageState } from "../outbox";
import { Actuators, type LineState } from "../safety/actuators";
import { LatchStore } from "../safety/latch-store";
import { RuleTime } from "../safety/rule-time";
import { LocalSafety, checkCloudRules, checkLines, type RuleSetName } from "../safety/safety";
import type { DeviceInfo, RulesEngine, Transition } from "../safety/engine";
import type { BackoffOptions } from "../uplink/backoff";
import { Envelope } from "../uplink/envelope";
import { Uplink, type UplinkHealth } from "../uplink/uplink";
import { Batcher } from "./batcher";
import { runCommand } from "./commands";
import { prepareRules, type StoredConfig } from "./desired-config";
import { decodeMarks, encodeMarks } from "./marks";
import { Messages } from "./messages";

/** Readings stamped further than this from the host clock take the host's time. */
const PLAUSIBLE_MS = 86_400_000;
/** Stored times remembered per sensor so an out-of-order reading does not land on one. */
const RECENT_TIMES = 64;
import { readJson, writeJsonAtomic } from "./state-file";

export const AGENT_VERSION = "fieldline-edge/0.1.0";

/** What /healthz returns (see Agent.health). */
export type AgentHealth = {
  ok: boolean;
  status: "ok" | "degraded" | "stopping";
  problems: string[];
  mqtt: "up" | "down";
  uplink: UplinkHealth | undefined;
  storage: StorageState & { latches: string };
  boot: string;
  outbox: { depth: number; bytes: number; dropped: number; refused: number };
  inputs: string[];
  configVersion: number;
  rules: { local: number; cloud: number };
  clockSteps: number;
  labels: Record<string, string>;
  outputs: LineState[];
};

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
  /** Monotonic clock (ms) that wall-clock steps are detected against (default performance.now). */
  monotonic?: () => number;
  /** Retry backoff of the outbox and the latch file after a storage fault (default 1 s .. 60 s). */
  storageRetry?: BackoffOptions;
}

export class Agent {
  readonly metrics: AgentMetrics;
  readonly envelope: Envelope;
  readonly outbox: Outbox;
  readonly logger: Logger;
  /** The device as rules see it: id and configured labels. */
  readonly device: DeviceInfo;
  private readonly storage: FallbackOutbox | undefined;
  private readonly latchStore: LatchStore;
  private readonly ruleTime: RuleTime;
  private readonly loggedFaults = new Map<string, number>();
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
  /** Per sensor: the last reading's time as stamped and as stored (see distinctTime). */
  private readonly lastTimes = new Map<string, { stamped: number; stored: number; recent: number[]; at: number }>();
  private implausibleLogged: number | undefined;
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
    this.device = { id: cfg.device.id, labels: cfg.device.labels };
    const o = cfg.outbox;
    const retry = deps.storageRetry ?? { initialMs: 1000, maxMs: 60_000 };
    // Storage faults degrade, never stop: the disk outbox sits behind a memory fallback.
    this.storage = deps.outbox
      ? undefined
      : new FallbackOutbox({
          create: () =>
            new SegmentOutbox({
              dir: o.dir ?? join(cfg.dataDir, "outbox"),
              maxBytes: o.maxBytes,
              segmentBytes: o.segmentBytes,
              fsync: o.fsync,
              fsyncIntervalMs: o.fsyncIntervalMs,
              full: o.full,
              onFull: (i) => this.onOutboxFull(i.records, i.bytes),
              onError: (op, err) => this.storage?.reportError(op, err),
            }),
          memoryBytes: o.memoryBytes,
          full: o.full,
          retry,
          clock: this.clock,
          onFull: (i) => this.onOutboxFull(i.records, i.bytes),
          onError: (f, degraded) => this.onStorageFault(f, degraded),
          onRecovered: (i) => this.onStorageRecovered(i),
        });
    this.outbox = deps.outbox ?? this.storage!;
    this.latchStore = new LatchStore({
      file: join(cfg.dataDir, "latches.json"),
      retry,
      onError: (err) => this.onStorageFault(faultOf("latches", err), false),
      onSaved: () => this.logger.info("latches written to disk again"),
    });
    this.ruleTime = new RuleTime({
      wall: this.clock,
      monotonic: deps.monotonic ?? (() => performance.now()),
      onStep: (step, offset) => this.onClockStep(step, offset),
    });
    this.metrics = new AgentMetrics(
      () => this.outbox.stats(),
      () => this.messages.failed,
      () => this.storage?.storage(),
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
      labels: cfg.device.labels,
      handlers: {
        command: (c) => this.onCommand(c),
        desiredConfig: (d) => this.onDesiredConfig(d),
        badMessage: (topic, err) => this.onBadMessage(topic, err),
        status: (up, reason) => {
          this.metrics.connected.set(up ? 1 : 0);
          if (up) logger.info("mqtt connected");
          else logger.warn({ reason }, "mqtt disconnected");
        },
        connectFailed: (reason, code) => this.onConnectFailed(reason, code),
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
    this.tick = setInterval(() => {
      if (this.ruleTime.check()) this.safety?.setOffset(this.ruleTime.offset);
      this.safety?.advance(this.clock());
    }, cfg.rules.tickMs);
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
    this.latchStore.stop();
    this.batcher.stop();
    const r = (await this.uplink?.stop(drainMs)) ?? { drained: false };
    this.outbox.sync();
    const left = this.outbox.stats().depth;
    await this.outbox.close();
    await this.chip?.close();
    await this.ops?.stop();
    this.logger.info({ drained: r.drained, outboxDepth: left }, "agent stopped");
  }

  /**
   * /healthz: `status` is "ok", "degraded" (running and enforcing safety, but telemetry is
   * at risk: storage faults, the uplink refused or down; `problems` says which) or
   * "stopping" (HTTP 503). `ok` is false only while stopping.
   */
  health(): AgentHealth {
    const s = this.outbox.stats();
    const storage: StorageState & { latches: string } = {
      ...(this.storage?.storage() ?? { state: "ok", memory: { records: 0, bytes: 0 }, errors: 0 }),
      latches: this.latchStore.unsaved ? `not on disk: ${this.latchStore.error ?? "pending"}` : "ok",
    };
    const uplink = this.uplink?.health();
    const problems: string[] = [];
    if (storage.state !== "ok") problems.push(`storage: ${storage.fault?.last.code ?? "?"} (${storage.fault?.last.op ?? "?"})`);
    if (this.latchStore.unsaved) problems.push("latches: not written to disk");
    if (uplink && uplink.state !== "up" && uplink.lastError) problems.push(`uplink: ${uplink.lastError}`);
    return {
      ok: !this.stopping,
      status: this.stopping ? "stopping" : problems.length > 0 ? "degraded" : "ok",
      problems,
      mqtt: this.uplink?.connected ? "up" : "down",
      uplink,
      storage,
      boot: this.envelope.boot,
      outbox: { depth: s.depth, bytes: s.bytes, dropped: s.dropped, refused: s.refused },
      inputs: this.sources.map((x) => x.id),
      configVersion: this.configVersion,
      rules: { local: this.safety?.rules("local")?.ruleSet.rules.length ?? 0, cloud: this.safety?.rules("cloud")?.ruleSet.rules.length ?? 0 },
      clockSteps: this.ruleTime.steps,
      labels: this.device.labels ?? {},
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
    const saved = this.latchStore.load();
    for (const [name, o] of Object.entries(g.outputs)) {
      const latched = saved.find((l) => l.line === name);
      try {
        lines.set(name, await this.chip.output(o.line, latched?.value ?? o.initial));
      } catch (err) {
        // No chip, no such line, no permission: restarting cannot fix it (exit 78, no loop).
        if (err instanceof GpioError || (err as NodeJS.ErrnoException).code !== undefined) {
          throw new ConfigError("gpio", [`gpio.outputs.${name}: ${(err as Error).message}`]);
        }
        throw err;
      }
      refs[name] = o.line;
    }
    this.actuators = new Actuators(lines, refs, (ls) => {
      this.metrics.latched.set(ls.length);
      this.latchStore.save(ls);
    });
    const restored = this.actuators.restore(saved);
    this.metrics.latched.set(restored.length);
    if (restored.length > 0) {
      this.logger.warn({ lines: restored }, "latched outputs restored from before the restart");
      this.messages.event({ type: "latch-restored", severity: "warning", message: `still latched: ${restored.join(", ")}`, data: { lines: restored } });
    }
  }

  /**
   * Two rule sets: the local safety rules (rules.file, required to be valid: a bad one is a
   * config error) and the cloud's, from the stored desired config (skipped if no longer valid).
   */
  private startSafety(): void {
    const actuators = this.actuators ?? new Actuators(new Map());
    this.safety = new LocalSafety({
      actuators,
      device: this.device.id,
      onTransition: (t, outcomes, set) => this.onTransition(t, outcomes, set),
      onDrive: (line, _v, _latched, rule) => this.metrics.shutoffs.inc({ line: String(line), rule }),
    });
    const file = this.cfg.rules.file;
    if (file !== undefined) {
      let text: string;
      try {
        text = readFileSync(file, "utf8");
      } catch (err) {
        throw new ConfigError(file, [`rules.file: cannot read: ${(err as Error).message}`]);
      }
      const p = prepareRules(text, file, this.device, (e) => checkLines(e, actuators));
      if (!p.ok) throw new ConfigError(file, p.error.split("\n"));
      this.safety.use("local", p.engine);
      if (p.engine.skipped.length > 0) this.logger.info({ rules: p.engine.skipped }, "local rules scoped to other devices: not evaluated here");
    }
    const stored = readJson<StoredConfig>(this.desiredFile());
    if (stored) {
      const p = this.prepareCloud(stored.rules, stored.version);
      if (p.ok) {
        this.useCloud(p.engine, stored.version);
        this.logger.info({ version: stored.version }, "cloud rules from the stored desired config");
      } else {
        this.logger.error({ error: p.error }, "stored desired config no longer valid; no cloud rules until the next one");
      }
    }
  }

  /** Compiles cloud rules and checks them against the outputs and the local safety rules. */
  private prepareCloud(yaml: string, version: number): ReturnType<typeof prepareRules> {
    const actuators = this.actuators ?? new Actuators(new Map());
    const local = this.safety?.rules("local");
    return prepareRules(yaml, `desired-config v${version}`, this.device, (e) => {
      checkLines(e, actuators);
      if (local) checkCloudRules(e, local, actuators);
    });
  }

  private useCloud(engine: RulesEngine, version: number): void {
    this.safety!.use("cloud", engine);
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
    const device = this.device.id;
    // Two clock reads: a wall-clock step moves rule time's offset (see RuleTime).
    if (this.ruleTime.check()) this.safety?.setOffset(this.ruleTime.offset);
    let n = 0;
    for (const r of rs) {
      if (!this.goodSensors.has(r.sensor)) {
        if (!ID_PATTERN.test(r.sensor)) {
          this.reject("reading-sensor-id", r.sensor);
          continue;
        }
        this.goodSensors.add(r.sensor);
      }
      let t = Number.isInteger(r.t) ? r.t : Math.round(r.t);
      if (!Number.isFinite(t) || typeof r.value !== "number") {
        this.reject("reading-invalid", `${r.sensor} t=${r.t}`);
        continue;
      }
      n++;
      t = this.plausibleTime(r.sensor, t);
      t = this.distinctTime(r.sensor, t);
      this.safety?.push({ device, sensor: r.sensor, t, value: r.value });
      const reading: Reading = r.q === undefined || r.q === 0 ? { sensor: r.sensor, t, value: r.value } : { sensor: r.sensor, t, value: r.value, q: r.q };
      this.batcher.add(reading);
    }
    this.metrics.readingsIn.inc(n);
  }

  /**
   * A reading stamped more than a day from the host clock (a bogus MCU time, a clock reset to
   * 1970) would move the sensor's event time and make the next real readings "late" for the
   * local safety rules. Its value still counts: it takes the host's time instead (counted in
   * `timestamps_replaced_total`, logged once a minute).
   */
  private plausibleTime(sensor: string, t: number): number {
    const now = this.clock();
    if (Math.abs(t - now) <= PLAUSIBLE_MS) return t;
    this.metrics.timestampsReplaced.inc();
    const last = this.implausibleLogged;
    if (last === undefined || now - last >= 60_000) {
      this.implausibleLogged = now;
      this.logger.warn({ sensor, t, now }, "reading stamped more than a day from the host clock; host time used");
    }
    return now;
  }

  /**
   * A sensor's readings never share a millisecond: the database keeps one point per series
   * and time, so a burst stamped on arrival (hundreds of frames in one read) would overwrite
   * itself. A reading at or before the previous one's stored time, but not before its
   * stamped time (it came in order), moves to 1 ms after the previous one. A reading older
   * than that came out of order and keeps its time, unless one of the sensor's last 64
   * readings is stored at it: then it moves back to the nearest free millisecond. Counted in
   * `timestamps_moved_total`.
   */
  private distinctTime(sensor: string, t: number): number {
    let last = this.lastTimes.get(sensor);
    if (!last) this.lastTimes.set(sensor, (last = { stamped: -Infinity, stored: -Infinity, recent: [], at: 0 }));
    if (t < last.stamped) {
      // Out of order: it keeps its time unless one of the sensor's recent readings has it.
      const moved = t;
      while (last.recent.includes(t)) t--;
      if (t !== moved) this.metrics.timestampsMoved.inc();
    } else {
      last.stamped = t;
      if (t <= last.stored) {
        t = last.stored + 1;
        this.metrics.timestampsMoved.inc();
      }
      last.stored = t;
    }
    // The sensor's last RECENT_TIMES stored times, for out-of-order readings to avoid.
    if (last.recent.length < RECENT_TIMES) last.recent.push(t);
    else last.recent[last.at] = t;
    last.at = (last.at + 1) % RECENT_TIMES;
    return t;
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

  private onTransition(t: Transition, outcomes: { action: unknown; applied: boolean; error?: string }[], set: RuleSetName): void {
    this.metrics.transitions.inc({ kind: t.kind });
    const data: Record<string, unknown> = {
      kind: t.kind,
      set,
      actions: outcomes.map((o) => ({ ...(o.action as object), applied: o.applied, ...(o.error ? { error: o.error } : {}) })),
      cause: t.cause.map((c) => ({ sensor: c.sensor, t: c.t, value: c.value })),
    };
    this.logger.warn({ rule: t.rule, set, kind: t.kind, severity: t.severity }, "rule transition");
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
    const p = this.prepareCloud(d.rules, d.version);
    if (!p.ok) {
      this.logger.error({ version: d.version, error: p.error }, "desired config rejected; keeping the current rules");
      this.report(d.version, false, p.error);
      return;
    }
    try {
      writeJsonAtomic(this.desiredFile(), { version: d.version, rules: d.rules } satisfies StoredConfig);
    } catch (err) {
      // Applied all the same; a restart falls back to the previous stored version.
      this.onStorageFault(faultOf("desired-config", err), false);
    }
    this.useCloud(p.engine, d.version);
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

  private onConnectFailed(reason: string, code: number | undefined): void {
    this.metrics.connectFailures.inc({ code: code === undefined ? "none" : String(code) });
    // Logged at the first failure and whenever the reason changes, then once a minute.
    this.logOnce(`connect:${reason}`, 60_000, () =>
      this.logger.error({ reason, connackCode: code, clientId: this.uplink?.health().clientId }, code === undefined ? "mqtt connection failed" : "mqtt login refused by the broker"),
    );
  }

  private onStorageFault(f: StorageFault, degraded: boolean): void {
    this.metrics.storageErrors.inc({ op: f.op, code: f.code });
    this.logOnce(`storage:${f.op}:${f.code}`, 60_000, () =>
      this.logger.error({ op: f.op, code: f.code, error: f.message }, degraded ? "storage fault: telemetry kept in memory (bounded), safety unaffected" : "storage fault"),
    );
    if (degraded) {
      this.messages.event({ type: "storage-degraded", severity: "warning", message: `${f.op}: ${f.message}`.slice(0, 1024), data: { op: f.op, code: f.code, memoryBytes: this.cfg.outbox.memoryBytes } });
    }
  }

  private onStorageRecovered(i: { ms: number; moved: number; lost: number }): void {
    this.logger.warn(i, "storage recovered: outbox on disk again");
    this.messages.event({ type: "storage-recovered", severity: "info", message: `after ${Math.round(i.ms / 1000)} s; ${i.lost} messages lost meanwhile`, data: i });
  }

  private onClockStep(step: number, offset: number): void {
    this.metrics.clockSteps.inc();
    this.logger.warn({ stepMs: step, ruleTimeOffsetMs: offset }, "wall clock stepped; rule time carries on without the step");
    this.messages.event({ type: "clock-step", severity: "warning", message: `wall clock stepped by ${step} ms`, data: { stepMs: step, offsetMs: offset } });
  }

  /** Runs `log` for a key at most once per `everyMs`. */
  private logOnce(key: string, everyMs: number, log: () => void): void {
    const now = this.clock();
    const last = this.loggedFaults.get(key);
    if (last !== undefined && now - last < everyMs && now >= last) return;
    this.loggedFaults.set(key, now);
    log();
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

function faultOf(op: string, err: unknown): StorageFault {
  const e = err as NodeJS.ErrnoException;
  return { op, code: e.code ?? "EUNKNOWN", message: String(e.message ?? err).slice(0, 300) };
}
