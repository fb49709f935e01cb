/**
 * The Fieldline broker: Aedes with policy in its hooks. The constructor stores config and
 * collaborators; start() opens the registry, the message backend and the listeners;
 * stop() releases all of them.
 */
import { Aedes, type AedesOptions, type Client } from "aedes";
import type { Duplex } from "node:stream";
import type { IncomingMessage } from "node:http";
import { dirname, join } from "node:path";
import { pino, type Logger } from "pino";
import { BACKENDS, type Backend } from "./cluster/backends.ts";
import { checkRedisDurability } from "./cluster/redis-durability.ts";
import { ConfigError, type BrokerConfig } from "./config.ts";
import { clearOnlyById, forwardOnce } from "./durability/forward-once.ts";
import { publishBeforeAck } from "./durability/publish-before-ack.ts";
import { ResumeOrder } from "./durability/resume-order.ts";
import { makeAuthenticate } from "./hooks/authenticate.ts";
import { makeAuthorizeForward } from "./hooks/authorize-forward.ts";
import { makeAuthorizePublish } from "./hooks/authorize-publish.ts";
import { makeAuthorizeSubscribe } from "./hooks/authorize-subscribe.ts";
import type { HookContext } from "./hooks/context.ts";
import { makePreConnect } from "./hooks/pre-connect.ts";
import { makePublished } from "./hooks/published.ts";
import { ConnectionCounter } from "./limits/connection-counter.ts";
import { LoginThrottle } from "./limits/login-throttle.ts";
import { guardPacketSize } from "./limits/packet-guard.ts";
import { coalesceWrites, raiseWriteBuffer } from "./limits/write-buffer.ts";
import { startHttp } from "./listeners/http.ts";
import type { Listener } from "./listeners/listener.ts";
import { startTcp } from "./listeners/tcp.ts";
import { startTls } from "./listeners/tls.ts";
import { startWs } from "./listeners/ws.ts";
import { BrokerMetrics } from "./metrics.ts";
import { FileRegistryStore } from "./registry/file-store.ts";
import { Registry } from "./registry/registry.ts";
import type { RegistryStore } from "./registry/types.ts";

export interface BrokerDeps {
  log?: Logger;
  /** Defaults to the JSON file named in config.registry.file. */
  registryStore?: RegistryStore;
  /** Collect Node process metrics into /metrics (default true). */
  processMetrics?: boolean;
  /**
   * Builds the Aedes instance (default: aedes 1.x `Aedes.createBroker`). The hooks only use
   * the documented hook signatures, so another Aedes major (e.g. 2.0 with MQTT 5) can be
   * dropped in here; see broker/README.md, "MQTT 5".
   */
  createAedes?: (opts: AedesOptions) => Promise<Aedes>;
}

export interface BoundPorts {
  mqtt?: number;
  mqtts?: number;
  ws?: number;
  http?: number;
}

export class Broker {
  readonly metrics: BrokerMetrics;
  private readonly log: Logger;
  private aedesInstance?: Aedes;
  private backend?: Backend;
  private listeners: Listener[] = [];
  private sweepTimer?: NodeJS.Timeout;
  private reloadTimer?: NodeJS.Timeout;
  private ctx?: HookContext;

  constructor(
    readonly config: BrokerConfig,
    private readonly deps: BrokerDeps = {},
  ) {
    this.log = deps.log ?? pino({ name: "broker" });
    this.metrics = new BrokerMetrics({ processMetrics: deps.processMetrics });
  }

  /** The running Aedes instance (tests and benchmarks observe it). */
  get aedes(): Aedes {
    if (!this.aedesInstance) throw new Error("broker not started");
    return this.aedesInstance;
  }

  get ports(): BoundPorts {
    return Object.fromEntries(this.listeners.map((l) => [l.name, l.port]));
  }

  get registry(): Registry {
    if (!this.ctx) throw new Error("broker not started");
    return this.ctx.registry;
  }

  async start(): Promise<void> {
    const { config, log } = this;
    const registry = new Registry(this.deps.registryStore ?? new FileRegistryStore(config.registry.file));
    await registry.load();
    const throttle = new LoginThrottle(config.loginThrottle);
    const ctx: HookContext = {
      registry,
      limits: config.limits,
      throttle,
      connections: new ConnectionCounter(config.limits.connectionsPerIdentity),
      metrics: this.metrics,
      log,
      connecting: new WeakMap(),
      clients: new WeakMap(),
      persistentSessions: new Set(),
      retainedTopics: new Set(),
    };
    this.ctx = ctx;
    if (config.cluster) await this.checkRedis(config.cluster);
    const p = config.persistence;
    this.backend = config.cluster
      ? BACKENDS.redis({ redis: config.cluster.redis })
      : BACKENDS[p.backend]({
          dir: p.dir ?? join(dirname(config.registry.file), "broker-data"),
          compactAfterBytes: p.compactAfterBytes,
          log,
        });
    clearOnlyById(this.backend.persistence as unknown as Parameters<typeof clearOnlyById>[0]);
    const resume = new ResumeOrder();
    resume.watch(this.backend.persistence as unknown as Parameters<ResumeOrder["watch"]>[0]);
    const limits = config.limits;
    const createAedes = this.deps.createAedes ?? ((o: AedesOptions) => Aedes.createBroker(o));
    const aedes = await createAedes({
      ...(config.id ? { id: config.id } : {}),
      mq: this.backend.mq,
      persistence: this.backend.persistence,
      concurrency: 0,
      maxInflightInbound: limits.inflightWindow,
      drainTimeout: limits.drainTimeoutMs,
      keepaliveLimit: limits.keepaliveLimitS,
      connectTimeout: limits.connectTimeoutMs,
      preConnect: makePreConnect(ctx),
      authenticate: makeAuthenticate(ctx),
      authorizePublish: makeAuthorizePublish(ctx),
      authorizeSubscribe: makeAuthorizeSubscribe(ctx),
      authorizeForward: makeAuthorizeForward(ctx),
      published: makePublished(ctx),
    });
    this.aedesInstance = aedes;
    publishBeforeAck(aedes);
    // Packet counters start above any the previous run of this broker id used, so a queued
    // message kept from before a restart is never confused with a new one (the persistences
    // key queued messages by broker id and counter). Safe below 1M messages/s on average.
    (aedes as unknown as { counter: number }).counter = Date.now() * 1000;
    aedes.on("clientReady", () => this.metrics.connections.inc());
    aedes.on("clientDisconnect", () => this.metrics.connections.dec());
    aedes.on("clientError", (client: Client, err: Error) => {
      this.metrics.clientErrors.inc();
      log.debug({ client: client.id, err: err.message }, "client error");
    });
    aedes.on("connectionError", (_client: Client, err: Error) => log.debug({ err: err.message }, "connection error"));
    this.sweepTimer = setInterval(() => throttle.sweep(), config.loginThrottle.windowMs);
    this.sweepTimer.unref();
    // Revocation takes effect on live connections too, not only on the next login.
    this.reloadTimer = setInterval(() => {
      registry.refresh().then(
        (changed) => changed && this.dropRevoked(),
        (err: Error) => log.error({ err }, "registry reload failed"),
      );
    }, 1000);
    this.reloadTimer.unref();

    const handle = (conn: Duplex, req?: IncomingMessage): void => {
      raiseWriteBuffer(conn, limits.subscriberBufferBytesQos + limits.maxPacketBytes);
      coalesceWrites(conn);
      const client = aedes.handle(conn, req) as unknown as Client;
      forwardOnce(client); // inside the resume hold: what it releases is filtered here
      resume.hold(client);
      guardPacketSize(conn, limits.maxPacketBytes, (announced) => {
        this.metrics.oversizePackets.inc();
        log.info({ announced, limit: limits.maxPacketBytes }, "packet too large; connection closed");
      });
    };
    const l = config.listeners;
    try {
      if (l.mqtt) this.listeners.push(await startTcp(l.mqtt, handle));
      if (l.mqtts) this.listeners.push(await startTls(l.mqtts, handle));
      if (l.ws) this.listeners.push(await startWs({ ...l.ws, maxPayload: limits.maxPacketBytes }, handle));
      if (l.http) this.listeners.push(await startHttp(l.http, () => this.health(), this.metrics.registry));
    } catch (e) {
      await this.stop();
      throw e;
    }
    log.info(
      { ports: this.ports, id: aedes.id, persistence: config.cluster ? "redis" : config.persistence.backend },
      "broker started",
    );
  }

  /** Refuses to start (or warns, per config) when Redis would lose what it acknowledged. */
  private async checkRedis(cluster: NonNullable<BrokerConfig["cluster"]>): Promise<void> {
    let problems: string[];
    try {
      problems = (await checkRedisDurability(cluster.redis)).problems;
    } catch (e) {
      problems = [`could not read the Redis persistence settings (CONFIG GET): ${(e as Error).message}`];
    }
    if (problems.length === 0) return;
    if (cluster.redisDurability === "refuse") {
      throw new ConfigError(problems.map((p) => `cluster.redis: ${p} (cluster.redisDurability: refuse)`));
    }
    for (const problem of problems) this.log.warn({ problem }, "Redis may lose acknowledged messages");
  }

  health(): { ok: boolean; id: string; clients: number } {
    const a = this.aedesInstance;
    const stored = this.backend?.persistence.healthy !== false;
    return { ok: Boolean(a && !a.closed && stored), id: a?.id ?? "", clients: a?.connectedClients ?? 0 };
  }

  /** Disconnects live clients whose identity was revoked or removed. */
  private dropRevoked(): void {
    const a = this.aedesInstance;
    const ctx = this.ctx;
    if (!a || !ctx) return;
    for (const c of Object.values((a as unknown as { clients: Record<string, Client> }).clients)) {
      const name = ctx.clients.get(c)?.identity.username;
      const rec = name === undefined ? undefined : ctx.registry.get(name);
      if (name !== undefined && (!rec || rec.revokedAt)) {
        this.log.info({ client: c.id, username: name }, "identity revoked; disconnecting");
        c.close();
      }
    }
  }

  /**
   * Stops accepting connections, closes the clients, then lets the persistence finish its
   * writes, sync and close: everything acknowledged is on disk (or in Redis) when it returns.
   */
  async stop(): Promise<void> {
    clearInterval(this.sweepTimer);
    clearInterval(this.reloadTimer);
    this.sweepTimer = this.reloadTimer = undefined;
    const listeners = this.listeners;
    this.listeners = [];
    await Promise.all(listeners.map((l) => l.close()));
    const a = this.aedesInstance;
    this.aedesInstance = undefined;
    if (a) await new Promise<void>((r) => a.close(() => r()));
    const backend = this.backend;
    this.backend = undefined;
    if (backend) await Promise.resolve(backend.persistence.destroy()).catch(() => undefined);
  }
}
