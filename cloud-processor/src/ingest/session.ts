/**
 * The processor's MQTT session: a fixed client id with clean: false and QoS 1 subscriptions,
 * so the broker queues telemetry while the processor is away and a restart loses nothing.
 * Each message is handed to `onMessage`; it is acknowledged when the returned promise
 * resolves (see acks.ts). `paused()` is asked before reading on; `resume()` releases.
 */
import mqtt, { type IClientOptions, type IPublishPacket, type MqttClient } from "mqtt";
import type { Logger } from "pino";
import { AckQueue, SKIP_ACK } from "./acks.ts";

export interface SessionOptions {
  url: string;
  clientId: string;
  username?: string;
  password?: string;
  keepaliveS: number;
  reconnectMs: number;
  /** Filters subscribed at QoS 1. */
  filters: string[];
  /** Most unacknowledged messages before reading pauses. */
  maxInflight: number;
}

export type MessageHandler = (topic: string, payload: Buffer) => Promise<void>;

export class MqttSession {
  private client: MqttClient | undefined;
  private acks: AckQueue | undefined;
  private held: (() => void)[] = [];
  connected = false;
  /** Resolves once the first connection is up and subscribed. */
  ready: Promise<void> = Promise.resolve();

  constructor(
    private readonly opts: SessionOptions,
    private readonly onMessage: MessageHandler,
    private readonly log: Logger,
    /** Extra reason to pause reading (e.g. the sink buffer is full). */
    private readonly blocked: () => boolean = () => false,
  ) {}

  get mqtt(): MqttClient {
    if (!this.client) throw new Error("MQTT session is not started");
    return this.client;
  }

  get inflight(): number {
    return this.acks?.pending ?? 0;
  }

  /** True while reading from the broker is paused. */
  get paused(): boolean {
    return this.held.length > 0;
  }

  async start(): Promise<void> {
    const o: IClientOptions = {
      clientId: this.opts.clientId,
      clean: false,
      protocolVersion: 4,
      keepalive: this.opts.keepaliveS,
      reconnectPeriod: this.opts.reconnectMs,
      username: this.opts.username,
      password: this.opts.password,
      resubscribe: true,
      manualConnect: true,
    };
    const client = mqtt.connect(this.opts.url, o);
    this.client = client;
    const acks = new AckQueue(client);
    this.acks = acks;
    client.handleMessage = (packet: IPublishPacket, cb: (err?: Error) => void) => this.handle(packet, cb);
    this.ready = new Promise<void>((resolve) => {
      client.on("connect", (connack) => {
        acks.newConnection();
        // Callbacks held for the previous connection's packet pump: that pump is gone.
        for (const release of this.held.splice(0)) release();
        this.connected = true;
        this.log.info({ url: this.opts.url, clientId: this.opts.clientId, sessionPresent: connack.sessionPresent }, "mqtt connected");
        // Subscribe on every connection: a no-op when the broker kept the session, and it
        // applies a changed filter list.
        client.subscribe(this.opts.filters, { qos: 1 }, (err) => {
          if (err) this.log.error({ err: err.message }, "mqtt subscribe failed");
          else resolve();
        });
      });
    });
    client.on("close", () => {
      if (this.connected) this.log.warn({ url: this.opts.url }, "mqtt connection closed; reconnecting");
      this.connected = false;
    });
    // A failed connection is retried by mqtt.js every reconnectMs and shows in /healthz.
    client.on("error", (err) => this.log.warn({ err: err.message }, "mqtt error"));
    client.connect();
  }

  /** The handler never throws by contract; a bug that does leaves the message unacknowledged. */
  private dispatch(packet: IPublishPacket): Promise<void> {
    try {
      return this.onMessage(packet.topic, packet.payload as Buffer);
    } catch (err) {
      this.log.error({ topic: packet.topic, err: (err as Error).message }, "message handler threw; message left unacknowledged");
      return Promise.reject(err as Error);
    }
  }

  private handle(packet: IPublishPacket, cb: (err?: Error) => void): void {
    if (packet.qos === 0) {
      this.dispatch(packet).catch(() => {});
      cb();
      return;
    }
    const settle = this.acks!.track(packet);
    this.dispatch(packet).then(
      () => settle(true),
      () => settle(false),
    );
    if (this.acks!.pending >= this.opts.maxInflight || this.blocked()) {
      this.held.push(() => cb(SKIP_ACK));
    } else {
      cb(SKIP_ACK);
    }
  }

  /** Called when there is room again (a write finished); releases a held pump. */
  resume(): void {
    if (this.held.length === 0) return;
    if (this.acks!.pending >= this.opts.maxInflight || this.blocked()) return;
    const held = this.held.splice(0);
    for (const release of held) release();
  }

  publish(topic: string, payload: Uint8Array | string, opts: { retain?: boolean; qos?: 0 | 1 } = {}): Promise<void> {
    const client = this.mqtt;
    return client
      .publishAsync(topic, Buffer.from(payload), { qos: opts.qos ?? 1, retain: opts.retain ?? false })
      .then(() => undefined);
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    for (const release of this.held.splice(0)) release();
    // A graceful DISCONNECT, unless the connection is stuck (e.g. backpressured): then close.
    let timer: NodeJS.Timeout | undefined;
    const stuck = new Promise<void>((resolve) => (timer = setTimeout(resolve, 2000)));
    await Promise.race([client.endAsync(false).catch(() => {}), stuck]);
    clearTimeout(timer);
    if (!client.disconnected) await client.endAsync(true).catch(() => {});
    this.connected = false;
  }
}
