/**
 * The whole platform on one machine, for the demo and the end-to-end tests:
 * registry -> broker -> processor (+ its store) -> observer, then two simulated fleets (edge
 * agents on virtual serial ports, and MQTT devices), optional scheduled faults, and the
 * checks of `report.ts`. Constructor stores; `start()` acquires; `stop()` releases all.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { JsonlTruth, MemoryTruth, SerialTransport, createTransport, simulate, type ProgressInfo, type RunSummary, type TruthRecord, type TruthSink } from "@fieldline/simulator";
import type { Alert } from "@fieldline/firmware-contracts";
import { AgentService } from "./agent";
import { BrokerService } from "./broker";
import { checkMqtt, checkSerial, checkShutoff, type MqttCheck, type SerialCheck, type ShutoffCheck } from "./checks";
import { writeFleetCredentials, writeRegistry, secretOf, type Credentials } from "./credentials";
import { MQTT_SITE, RULES_YAML, SAFETY_DEVICE, SAFETY_RULE, SERIAL_SITE, mqttIds, mqttSpec, serialIds, serialSpec, type FleetPlan } from "./fleet";
import { Observer } from "./observer";
import { TcpProxy } from "./proxy";
import { poll, sleep } from "./process";
import { ProcessorService } from "./processor";
import { startRedis, type Server } from "./servers";
import { openStore, type Store, type StoreChoice } from "./store";

export interface PlatformOptions {
  dir: string;
  plan: FleetPlan;
  store: StoreChoice;
  /** Broker sessions in redis-server, so they survive a broker restart. */
  redis?: boolean;
  /** Without redis: broker sessions on disk (default) or in memory. */
  brokerPersistence?: "disk" | "memory";
  detection?: boolean;
  /** Edge readings stamped on arrival ("host") or by the MCU clock anchored to the host ("mcu"). */
  edgeTime?: "host" | "mcu";
  /** The same for the safety device; "host" (default) lets the report measure the shutoff latency. */
  safetyTime?: "host" | "mcu";
  /** The processor and each edge agent reach the broker through a TCP proxy of their own, which a fault can cut. */
  proxies?: boolean;
  log?: (msg: string) => void;
}

/** A fault or action at a wall-clock offset from the moment the fleets start. */
export interface Step {
  atS: number;
  name: string;
  run: (p: Platform) => Promise<void>;
}

export interface LiveStatus {
  elapsedS: number;
  serialSent: number;
  mqttSent: number;
  mqttAcked: number;
  stored: number;
  activeAlerts: number;
  valve: 0 | 1 | undefined;
  steps: string[];
}

export interface RunResult {
  serial: RunSummary;
  mqtt: RunSummary;
  wallMs: number;
  mqttCheck?: MqttCheck;
  serialCheck?: SerialCheck;
  shutoff: ShutoffCheck;
  alerts: Alert[];
  steps: { name: string; atMs: number; doneMs?: number; error?: string }[];
  /** The simulated MCUs' retransmit counters, when the serial fleet keeps frames until the agent acks them. */
  serialAcks?: { retransmits: number; dropped: number; droppedReadings: number; acked: number; unacked: number };
  /** MQTT-fleet devices whose temperature got the injected level shift (from the truth's labels). */
  shifted: string[];
  /** When the processor was not running, as epoch ms intervals. */
  processorDown: [number, number][];
  brokerDown: [number, number][];
  storeDown: [number, number][];
  /** Maps an MQTT-fleet reading's simulated time to the wall time it was due: wallStart + (t - simStart) / speed. */
  mqttClock: { simStart: number; speed: number; wallStart: number };
}

export interface SettleOptions {
  /** Longest wait for the store to hold what was sent (default 45 s). */
  timeoutMs?: number;
  /** Give up earlier when neither the checks nor the alerts changed for this long. */
  quietMs?: number;
  /** Also wait until this holds for the alerts seen so far (and the injected level shifts). */
  alerts?: (alerts: Alert[], shifted: string[]) => boolean;
  /** How long to wait for the safety device's rule-fired event over MQTT (default 15 s). */
  eventWaitMs?: number;
  /** Missing / duplicated / altered MQTT-fleet readings kept as examples in the check (default 3). */
  examples?: number;
}

class TeeTruth implements TruthSink {
  readonly memory = new MemoryTruth();
  constructor(private readonly file: JsonlTruth) {}
  async write(r: TruthRecord): Promise<void> {
    this.memory.write(r);
    await this.file.write(r);
  }
  async close(): Promise<void> {
    await this.file.close();
  }
}

export class Platform {
  broker!: BrokerService;
  processor!: ProcessorService;
  store!: Store;
  observer!: Observer;
  readonly agents: AgentService[] = [];
  private redis: Server | undefined;
  /** Kept so that an interrupted run still closes its socat pty pairs. */
  private serialTransport: SerialTransport | undefined;
  private creds!: Credentials;
  private readonly alertsSeen = new Map<string, Alert>();
  private readonly down = { processor: [] as [number, number][], broker: [] as [number, number][], store: [] as [number, number][] };
  /** TCP proxies to the broker, by the component that connects through them ("processor" or a device id). */
  readonly links = new Map<string, TcpProxy>();
  private readonly progress = { serial: 0, mqtt: 0, mqttAcked: 0 };

  constructor(readonly opts: PlatformOptions) {}

  private log(msg: string): void {
    this.opts.log?.(msg);
  }

  get dir(): string {
    return this.opts.dir;
  }

  get rulesFile(): string {
    return join(this.dir, "rules.yaml");
  }

  async start(): Promise<void> {
    const { dir, plan } = this.opts;
    await mkdir(dir, { recursive: true });
    await writeFile(this.rulesFile, RULES_YAML);
    this.creds = await writeRegistry(join(dir, "broker", "registry.json"), [
      ...serialIds(plan.serialDevices).map((d) => ({ username: d, role: "device" as const, site: SERIAL_SITE, device: d })),
      ...mqttIds(plan.mqttDevices).map((d) => ({ username: d, role: "device" as const, site: MQTT_SITE, device: d })),
      { username: "processor", role: "processor" as const },
      { username: "observer", role: "processor" as const },
    ]);
    await writeFleetCredentials(join(dir, "fleet-credentials.json"), mqttIds(plan.mqttDevices), this.creds);
    this.log(`registry: ${plan.serialDevices + plan.mqttDevices} devices with their own secrets, accounts processor and observer`);

    if (this.opts.redis) this.redis = await startRedis(join(dir, "redis"));
    this.store = await openStore(this.opts.store, dir);
    this.broker = new BrokerService({ dir: join(dir, "broker"), registryFile: this.creds.registryFile, ...(this.redis ? { redis: this.redis.url } : {}), ...(this.opts.brokerPersistence ? { persistence: this.opts.brokerPersistence } : {}) });
    await this.broker.start();
    this.log(`broker: ${this.broker.url}${this.redis ? ` (sessions in redis ${this.redis.url})` : ""}`);

    await mkdir(join(dir, "processor"), { recursive: true });
    this.processor = new ProcessorService({
      dir: join(dir, "processor"),
      brokerUrl: await this.brokerUrlFor("processor"),
      username: "processor",
      password: secretOf(this.creds, "processor"),
      sink: this.store.sink,
      rulesFile: this.rulesFile,
      detection: this.opts.detection ?? false,
    });
    await this.processor.start();
    this.log(`processor: API ${this.processor.apiUrl}, sink: ${this.store.describe}`);

    this.observer = new Observer(this.broker.url, "observer", secretOf(this.creds, "observer"));
    await this.observer.start();
  }

  /** The broker's URL as `who` reaches it: through its own proxy when the run has proxies. */
  private async brokerUrlFor(who: string): Promise<string> {
    if (!this.opts.proxies) return this.broker.url;
    const proxy = new TcpProxy(who, () => ({ host: "127.0.0.1", port: this.broker.port }));
    await proxy.start();
    this.links.set(who, proxy);
    return proxy.url;
  }

  private link(who: string): TcpProxy {
    const l = this.links.get(who);
    if (!l) throw new Error(`no proxy between ${who} and the broker (run with proxies: true)`);
    return l;
  }

  private agent(device: string): AgentService {
    const a = this.agents.find((x) => x.device === device);
    if (!a) throw new Error(`no edge agent for ${device}`);
    return a;
  }

  private static up(spans: [number, number][]): void {
    const last = spans.at(-1);
    if (last && last[1] === Infinity) last[1] = Date.now();
  }

  // ---- faults, as steps call them ----

  async stopProcessor(kill9 = false): Promise<void> {
    this.down.processor.push([Date.now(), Infinity]);
    await (kill9 ? this.processor.kill9() : this.processor.stop());
  }

  async startProcessor(): Promise<void> {
    await this.processor.start();
    Platform.up(this.down.processor);
  }

  /** Graceful (SIGTERM) or kill -9. */
  async stopBroker(kill9 = false): Promise<void> {
    this.down.broker.push([Date.now(), Infinity]);
    await (kill9 ? this.broker.kill9() : this.broker.stop());
  }

  async startBroker(): Promise<void> {
    await this.broker.start();
    Platform.up(this.down.broker);
  }

  /** The database: stopped (SIGTERM, data dir kept) or frozen (SIGSTOP). */
  async stopStore(how: "stop" | "freeze"): Promise<void> {
    const server = this.store.server;
    if (!server) throw new Error(`${this.store.describe} is not a server this run can stop`);
    this.down.store.push([Date.now(), Infinity]);
    if (how === "freeze") server.freeze();
    else await server.stop();
  }

  /** Thaws a frozen database or starts a stopped one again on the same port and data dir. */
  async startStore(how: "stop" | "freeze"): Promise<void> {
    const server = this.store.server!;
    if (how === "freeze") server.thaw();
    else await server.restart();
    Platform.up(this.down.store);
  }

  async killAgent(device: string): Promise<void> {
    await this.agent(device).kill9();
  }

  async startAgent(device: string): Promise<void> {
    await this.agent(device).start();
  }

  /** Resets the connections between `who` ("processor" or an edge device) and the broker and refuses new ones. */
  async cutLink(who: string): Promise<void> {
    await this.link(who).cut();
  }

  async healLink(who: string): Promise<void> {
    await this.link(who).heal();
  }

  async restartBroker(): Promise<void> {
    this.down.broker.push([Date.now(), Infinity]);
    await this.broker.restart();
    this.down.broker.at(-1)![1] = Date.now();
  }

  // ---- the run ----

  status(elapsedS: number, stored: number, steps: string[]): LiveStatus {
    const safety = this.agents.find((a) => a.device === SAFETY_DEVICE);
    const last = safety?.outputs.at(-1);
    return {
      elapsedS,
      serialSent: this.progress.serial,
      mqttSent: this.progress.mqtt,
      mqttAcked: this.progress.mqttAcked,
      stored,
      activeAlerts: [...this.alertsSeen.values()].filter((a) => a.state !== "cleared").length,
      valve: last?.value,
      steps,
    };
  }

  private async pollAlerts(): Promise<void> {
    if (!this.processor.running) return;
    const list = await this.processor.alerts().catch(() => []);
    for (const a of list) this.alertsSeen.set(a.id, a);
  }

  async run(opts: { steps?: Step[]; serialInjections?: string[]; onStatus?: (s: LiveStatus) => void; statusEveryMs?: number; settle?: SettleOptions } = {}): Promise<RunResult> {
    const { plan } = this.opts;
    const t0 = Date.now();
    const portsDir = join(this.dir, "ports");
    const serialTruth = new TeeTruth(await new JsonlTruth(join(this.dir, "truth", "serial.truth.jsonl")).open());
    const mqttTruth = new TeeTruth(await new JsonlTruth(join(this.dir, "truth", "mqtt.truth.jsonl")).open());
    const stepLog: RunResult["steps"] = [];
    const stepRuns: Promise<void>[] = [];
    const timers: NodeJS.Timeout[] = [];
    let stored = 0;
    let fleetStart = 0;

    const tick = async () => {
      await this.pollAlerts();
      if (this.processor.running) stored = await this.processor.metric("fieldline_processor_sink_points_written_total").catch(() => stored);
      opts.onStatus?.(this.status(fleetStart ? (Date.now() - fleetStart) / 1000 : 0, stored, stepLog.map((s) => s.name + (s.doneMs ? "" : "…"))));
    };
    let ticking = false;
    const ticker = setInterval(() => {
      if (ticking) return;
      ticking = true;
      tick().finally(() => (ticking = false));
    }, opts.statusEveryMs ?? 1000);

    let ready!: () => void;
    const agentsUp = new Promise<void>((r) => (ready = r));
    const progress = (key: "serial" | "mqtt") => ({
      update: (p: ProgressInfo) => {
        this.progress[key] = p.readings;
        if (key === "mqtt") this.progress.mqttAcked = p.acked;
      },
      done: () => undefined,
    });
    try {
      const spec = serialSpec(plan, portsDir, opts.serialInjections);
      this.serialTransport = createTransport(spec.spec.transport, spec.baseDir) as SerialTransport;
      const serialRun = simulate(spec, {
        transport: this.serialTransport,
        truth: serialTruth,
        progress: progress("serial"),
        onReady: async (transport) => {
          const links = (transport as SerialTransport).links();
          this.log(`edge agents: starting ${links.length} on virtual serial ports in ${portsDir}`);
          await Promise.all(
            links.map(async (link) => {
              const agent = new AgentService({
                dir: join(this.dir, "agents"),
                site: SERIAL_SITE,
                device: link.device,
                serialPath: link.path,
                brokerUrl: await this.brokerUrlFor(link.device),
                password: secretOf(this.creds, link.device),
                rulesFile: this.rulesFile,
                time: link.device === SAFETY_DEVICE ? (this.opts.safetyTime ?? "host") : (this.opts.edgeTime ?? "mcu"),
              });
              this.agents.push(agent);
              await agent.start();
            }),
          );
          await sleep(200); // the agents have their ports open
          ready();
        },
      });
      await Promise.race([agentsUp, serialRun]);
      fleetStart = Date.now();
      this.log(`fleets: ${plan.serialDevices} devices through edge agents (real time), ${plan.mqttDevices} over MQTT (a day in ${plan.seconds} s)`);
      const mqttFleet = mqttSpec(plan, this.broker.url, join(this.dir, "fleet-credentials.json"));
      const start = mqttFleet.spec.start;
      const speed = mqttFleet.spec.speed;
      const mqttClock = { simStart: "time" in start ? start.time : 0, speed: speed === "max" ? Infinity : speed, wallStart: Date.now() };
      const mqttRun = simulate(mqttFleet, { truth: mqttTruth, progress: progress("mqtt"), drainTimeoutMs: 60_000 });
      for (const step of opts.steps ?? []) {
        timers.push(
          setTimeout(() => {
            const entry: RunResult["steps"][number] = { name: step.name, atMs: Date.now() - fleetStart };
            stepLog.push(entry);
            this.log(`fault: ${step.name}`);
            stepRuns.push(
              step.run(this).then(
                () => void (entry.doneMs = Date.now() - fleetStart),
                (err: unknown) => void (entry.error = (err as Error).message),
              ),
            );
          }, step.atS * 1000),
        );
      }
      const [serial, mqtt] = await Promise.all([serialRun, mqttRun]);
      for (const t of timers) clearTimeout(t);
      await Promise.all(stepRuns);
      this.log(`fleets done: ${serial.readingsSent + mqtt.readingsSent} readings sent; waiting for the store to catch up`);

      const shifted = [...new Set(mqttTruth.memory.records.flatMap((r) => (r.type === "label" && r.name === "levelShift" && r.device ? [r.device] : [])))].sort();
      const end = await this.settle(serialTruth.memory.records, mqttTruth.memory.records, t0, shifted, opts.settle);
      const safety = this.agents.find((a) => a.device === SAFETY_DEVICE);
      const fired = await poll(() => this.observer.ruleFired().find((e) => e.device === SAFETY_DEVICE && e.rule === SAFETY_RULE), opts.settle?.eventWaitMs ?? 15_000);
      await this.pollAlerts();
      for (const a of await this.processor.history()) if (!this.alertsSeen.has(a.id)) this.alertsSeen.set(a.id, a);
      const shutoff = checkShutoff(SAFETY_DEVICE, SAFETY_RULE, safety?.valveWrite(0), fired, await safety?.valveLevel());
      await tick();
      return {
        serial,
        mqtt,
        wallMs: Date.now() - t0,
        ...end,
        shutoff,
        shifted,
        alerts: [...this.alertsSeen.values()],
        steps: stepLog,
        ...(plan.retransmit && this.serialTransport ? { serialAcks: this.serialTransport.retransmitStats() } : {}),
        processorDown: this.down.processor,
        brokerDown: this.down.broker,
        storeDown: this.down.store,
        mqttClock,
      };
    } finally {
      clearInterval(ticker);
      for (const t of timers) clearTimeout(t);
      await Promise.allSettled(stepRuns);
      await serialTruth.close().catch(() => undefined);
      await mqttTruth.close().catch(() => undefined);
    }
  }

  /**
   * Re-reads the store until both checks pass (and `opts.alerts` holds) or `timeoutMs` passes,
   * or nothing changed for `quietMs`; returns the last checks.
   */
  private async settle(serialTruth: TruthRecord[], mqttTruth: TruthRecord[], t0: number, shifted: string[], opts: SettleOptions = {}): Promise<{ mqttCheck?: MqttCheck; serialCheck?: SerialCheck }> {
    const reader = this.store.reader;
    if (!reader) return {};
    const deadline = Date.now() + (opts.timeoutMs ?? 45_000);
    let last: { mqttCheck?: MqttCheck; serialCheck?: SerialCheck } = {};
    let fingerprint = "";
    let changedAt = Date.now();
    for (;;) {
      await this.store.settle().catch(() => undefined);
      await this.pollAlerts();
      try {
        const mqttCheck = await checkMqtt(mqttTruth, reader, opts.examples);
        const serialCheck = await checkSerial(serialTruth, reader, { start: t0 - 60_000, end: Date.now() + 60_000 });
        last = { mqttCheck, serialCheck };
        const alertsDone = opts.alerts?.([...this.alertsSeen.values()], shifted) ?? true;
        if (mqttCheck.ok && serialCheck.ok && alertsDone) return last;
        const now = JSON.stringify([mqttCheck.stored, mqttCheck.missing, mqttCheck.duplicated, serialCheck.stored, serialCheck.missing, this.alertsSeen.size]);
        if (now !== fingerprint) [fingerprint, changedAt] = [now, Date.now()];
      } catch (err) {
        this.log(`store not readable yet: ${(err as Error).message}`);
      }
      if (Date.now() > deadline) return last;
      if (opts.quietMs !== undefined && Date.now() - changedAt > opts.quietMs) return last;
      await sleep(500);
    }
  }

  async stop(): Promise<void> {
    await Promise.allSettled([...this.links.values()].map((l) => l.stop()));
    await this.serialTransport?.stop().catch(() => undefined);
    await Promise.allSettled(this.agents.map((a) => a.stop()));
    await this.observer?.stop().catch(() => undefined);
    await this.processor?.close();
    await this.broker?.close();
    await this.store?.server?.stop();
    await this.redis?.stop();
  }
}
