/**
 * The device's MQTT side: publishes the outbox (via Pump), keeps a retained `state`
 * (online on CONNACK, offline by the will or on a clean stop), and hands commands and the
 * retained desired config from the cloud to the agent, decoded and validated.
 */
import type { MqttClient } from "mqtt";
import {
  decodePayload,
  encodePayload,
  parseTopic,
  topics,
  type Command,
  type DesiredConfig,
  type DeviceAddress,
  type PayloadError,
} from "@fieldline/firmware-contracts";
import type { BrokerConfig } from "../config/schema";
import type { Outbox, OutboxKind } from "../outbox";
import { Connection, withTimeout } from "./connection";
import type { Envelope } from "./envelope";
import { mqttOptions } from "./mqtt-options";
import { Pump } from "./pump";

export interface UplinkHandlers {
  command(cmd: Command): void;
  desiredConfig(cfg: DesiredConfig): void;
  /** A message from the cloud that did not decode (counted and logged, never fatal). */
  badMessage(topic: string, error: PayloadError): void;
  status(up: boolean, reason?: string): void;
  /** A connection attempt failed (refused login: `code` is the CONNACK return code). */
  connectFailed?(reason: string, code: number | undefined): void;
  acked?(kind: OutboxKind, seconds: number): void;
  /** Unconfirmed telemetry was republished (the cloud confirmed nothing for a while). */
  resent?(waiting: number): void;
}

/** The uplink as /healthz reports it. */
export interface UplinkHealth {
  state: "connecting" | "up" | "down";
  clientId: string;
  /** Why the last attempt or session ended (with the CONNACK code of a refused login). */
  lastError?: string;
  lastErrorCode?: number;
  lastErrorAt?: number;
  /** Attempts since the last session came up (or since start). */
  failedAttempts: number;
}

export interface UplinkOptions {
  broker: BrokerConfig;
  address: DeviceAddress;
  envelope: Envelope;
  outbox: Outbox;
  clock: () => number;
  handlers: UplinkHandlers;
  agent?: string;
  firmware?: () => string | undefined;
  /** The device's labels, published in the retained state. */
  labels?: Record<string, string>;
}

const OUTBOX_TOPIC: Record<OutboxKind, (a: DeviceAddress) => string> = {
  telemetry: topics.telemetry,
  events: topics.events,
  commandResults: topics.commandResults,
  reportedConfig: topics.reportedConfig,
};

export class Uplink {
  private readonly connection: Connection;
  private readonly pump: Pump;
  private client: MqttClient | undefined;
  private readonly status: UplinkHealth;

  constructor(private readonly opts: UplinkOptions) {
    const { address } = opts;
    const topicsByKind = Object.fromEntries(
      Object.entries(OUTBOX_TOPIC).map(([k, f]) => [k, f(address)]),
    ) as Record<OutboxKind, string>;
    this.pump = new Pump({
      outbox: opts.outbox,
      topicOf: (k) => topicsByKind[k],
      window: opts.broker.inflight,
      release: opts.broker.release,
      storedWindow: opts.broker.storedWindow,
      resendMs: opts.broker.resendMs,
      onAcked: opts.handlers.acked,
      onResend: opts.handlers.resent,
    });
    // The Fieldline broker requires a device's client id to be its device id.
    const clientId = opts.broker.clientId ?? address.device;
    this.status = { state: "connecting", clientId, failedAttempts: 0 };
    const build = mqttOptions(opts.broker, clientId);
    this.connection = new Connection({
      url: opts.broker.url,
      options: () => build({ topic: topics.state(address), payload: this.statePayload("offline") }),
      backoff: opts.broker.reconnect,
      events: {
        up: (client) => this.onUp(client),
        down: (reason) => this.onDown(reason),
        failed: (reason, code) => this.onFailed(reason, code),
      },
    });
  }

  get connected(): boolean {
    return this.connection.connected;
  }

  health(): UplinkHealth {
    return { ...this.status };
  }

  get inFlight(): number {
    return this.pump.inFlight;
  }

  /** Telemetry messages published and not yet confirmed stored by the cloud. */
  get unconfirmed(): number {
    return this.pump.unconfirmed;
  }

  start(): void {
    this.connection.start();
  }

  /** New outbox records are waiting. */
  kick(): void {
    this.pump.kick();
  }

  /**
   * Waits up to `drainMs` for the outbox to empty (if connected), marks the device offline
   * (a clean DISCONNECT suppresses the will) and closes the session.
   */
  async stop(drainMs = 0): Promise<{ drained: boolean }> {
    let drained = this.opts.outbox.stats().depth === 0;
    if (this.client && drainMs > 0 && !drained) drained = await this.pump.drained(drainMs);
    const client = this.client;
    if (client) {
      await withTimeout(
        new Promise<void>((resolve) =>
          client.publish(
            topics.state(this.opts.address),
            Buffer.from(this.statePayload("offline")),
            { qos: 1, retain: true },
            () => resolve(),
          ),
        ),
        2000,
      );
    }
    this.pump.detach();
    await this.connection.stop(true);
    return { drained };
  }

  private statePayload(status: "online" | "offline"): Uint8Array {
    const firmware = this.opts.firmware?.();
    return encodePayload("state", {
      ...this.opts.envelope.next("state"),
      t: this.opts.clock(),
      status,
      ...(this.opts.agent ? { agent: this.opts.agent } : {}),
      ...(firmware ? { firmware } : {}),
      ...(this.opts.labels && Object.keys(this.opts.labels).length > 0 ? { labels: this.opts.labels } : {}),
    });
  }

  private onUp(client: MqttClient): void {
    this.client = client;
    const { address, handlers } = this.opts;
    client.on("message", (topic, payload) => this.onMessage(topic, payload));
    const subs = [topics.commands(address), topics.desiredConfig(address)];
    if (this.opts.broker.release === "stored") subs.push(topics.stored(address));
    client.subscribe(subs, { qos: 1 });
    client.publish(topics.state(address), Buffer.from(this.statePayload("online")), { qos: 1, retain: true });
    this.pump.attach(client);
    this.status.state = "up";
    this.status.failedAttempts = 0;
    handlers.status(true);
  }

  private onDown(reason: string): void {
    this.client = undefined;
    this.pump.detach();
    this.setError(reason, undefined);
    this.opts.handlers.status(false, reason);
  }

  private onFailed(reason: string, code: number | undefined): void {
    this.status.failedAttempts++;
    this.setError(reason, code);
    this.opts.handlers.connectFailed?.(reason, code);
  }

  private setError(reason: string, code: number | undefined): void {
    this.status.state = "down";
    this.status.lastError = reason;
    this.status.lastErrorAt = this.opts.clock();
    if (code === undefined) delete this.status.lastErrorCode;
    else this.status.lastErrorCode = code;
  }

  private onMessage(topic: string, payload: Buffer): void {
    const parsed = parseTopic(topic);
    const { handlers } = this.opts;
    if (parsed?.kind === "commands") {
      const r = decodePayload("commands", payload);
      if (r.ok) handlers.command(r.value);
      else handlers.badMessage(topic, r.error);
    } else if (parsed?.kind === "stored") {
      const r = decodePayload("stored", payload);
      if (r.ok && r.value.device === this.opts.address.device) this.pump.stored(r.value.boot, r.value.seqs);
      else if (!r.ok) handlers.badMessage(topic, r.error);
    } else if (parsed?.kind === "desiredConfig") {
      if (payload.length === 0) return; // retained config cleared by the operator
      const r = decodePayload("desiredConfig", payload);
      if (r.ok) handlers.desiredConfig(r.value);
      else handlers.badMessage(topic, r.error);
    }
  }
}
