/**
 * Each simulated device as its own MQTT client (mqtt.js): CBOR telemetry per the contracts,
 * QoS 1 by default, retained online/offline state with a will, per-device credentials.
 * QoS 1 publishes made while the broker is away wait in mqtt.js's store and go out on
 * reconnect, so a broker outage loses nothing the device handed over.
 */
import { readFile } from "node:fs/promises";
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import { encodePayload, topics, type DeviceAddress } from "@fieldline/firmware-contracts";
import type { SimDevice } from "../run/fleet";
import type { MqttTransportSpec } from "../spec/transports";
import { mapLimit, waitFor } from "./limit";
import { emptyStats, type BootInfo, type Corruption, type OutboundBatch, type Transport } from "./transport";

interface Credentials {
  username?: string;
  password?: string;
}

interface Client {
  device: SimDevice;
  mqtt?: MqttClient;
  boot?: BootInfo;
  /** Event time of the latest reading sent (the offline state's `t`). */
  lastT: number;
  inflight: number;
}

/** CONNACK return codes (3.1.1: 4, 5; 5.0: 0x86, 0x87) that retrying cannot fix. */
const AUTH_REFUSED = new Set([4, 5, 0x86, 0x87]);

export interface MqttTransportOptions {
  /** Opens a client (default mqtt.connect). */
  connect?: (url: string, opts: IClientOptions) => MqttClient;
  /** Called with each publish's time to acknowledgement, in ms (benchmarks). */
  onAck?: (ms: number) => void;
}

const addr = (d: SimDevice): DeviceAddress => ({ site: d.site, device: d.id });

export class MqttTransport implements Transport {
  readonly name = "mqtt";
  readonly corruptions = new Set<Corruption["type"]>(["garbage"]);
  private readonly clients = new Map<string, Client>();
  private readonly s = emptyStats();
  private inflight = 0;
  private waiters: (() => void)[] = [];
  private credentials: Record<string, Credentials> = {};

  private readonly connectFn: (url: string, opts: IClientOptions) => MqttClient;
  private readonly onAck: ((ms: number) => void) | undefined;

  constructor(
    private readonly spec: MqttTransportSpec,
    opts: MqttTransportOptions = {},
  ) {
    this.connectFn = opts.connect ?? mqtt.connect;
    this.onAck = opts.onAck;
  }

  async start(devices: readonly SimDevice[]): Promise<void> {
    if (this.spec.credentialsFile) {
      this.credentials = JSON.parse(await readFile(this.spec.credentialsFile, "utf8")) as Record<string, Credentials>;
    }
    for (const device of devices) this.clients.set(device.id, { device, inflight: 0, lastT: 0 });
  }

  /** Devices booted at once at the start of a run. */
  get concurrency(): number {
    return this.spec.connectConcurrency;
  }

  private fill(template: string | undefined, d: SimDevice): string | undefined {
    return template?.replaceAll("{device}", d.id).replaceAll("{site}", d.site);
  }

  private async connect(c: Client): Promise<void> {
    const d = c.device;
    const cred = this.credentials[d.id] ?? { username: this.fill(this.spec.username, d), password: this.fill(this.spec.password, d) };
    const opts: IClientOptions = {
      clientId: d.id,
      clean: true,
      keepalive: this.spec.keepalive,
      reconnectPeriod: this.spec.reconnectPeriod,
      connectTimeout: 30_000,
      ...(cred.username !== undefined ? { username: cred.username } : {}),
      ...(cred.password !== undefined ? { password: cred.password } : {}),
    };
    if (this.spec.state && c.boot) {
      const payload = encodePayload("state", { v: 1, device: d.id, boot: c.boot.boot, seq: 1, t: c.boot.t, status: "offline", firmware: d.firmware });
      opts.will = { topic: topics.state(addr(d)), payload: Buffer.from(payload), qos: 1, retain: true };
    }
    const client = this.connectFn(this.spec.url, opts);
    c.mqtt = client;
    let up = false;
    client.on("connect", () => {
      if (!up) this.s.connected++;
      up = true;
    });
    client.on("close", () => {
      if (up) this.s.connected--;
      up = false;
    });
    client.on("error", () => {}); // network errors are retried by mqtt.js
    await new Promise<void>((resolve, reject) => {
      const fail = (err: Error): void => {
        clearTimeout(timer);
        client.end(true);
        reject(err);
      };
      const timer = setTimeout(() => fail(new Error(`${d.id}: no CONNACK from ${this.spec.url} within 30 s`)), 30_000);
      client.on("error", (err: Error & { code?: unknown }) => {
        // A refused CONNECT (bad credentials, not authorised) is configuration: stop the run.
        if (!client.connected && AUTH_REFUSED.has(err.code as number)) fail(new Error(`${d.id}: broker refused the connection: ${err.message}`));
      });
      client.once("connect", () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private publish(c: Client, topic: string, payload: Uint8Array, retain = false, readings = 0): void {
    this.inflight++;
    c.inflight++;
    this.s.messagesSent++;
    this.s.readingsSent += readings;
    this.s.bytes += payload.length;
    const sentAt = this.onAck ? performance.now() : 0;
    c.mqtt!.publish(topic, Buffer.from(payload), { qos: this.spec.qos, retain }, (err) => {
      if (!err) this.onAck?.(performance.now() - sentAt);
      this.inflight--;
      c.inflight--;
      if (err) this.s.failed++;
      else {
        this.s.messagesAcked++;
        this.s.readingsAcked += readings;
      }
      const w = this.waiters;
      this.waiters = [];
      for (const f of w) f();
    });
  }

  async boot(device: SimDevice, info: BootInfo): Promise<void> {
    const c = this.clients.get(device.id)!;
    if (c.mqtt) await this.disconnect(c);
    c.boot = info;
    c.lastT = info.t;
    await this.connect(c);
    if (this.spec.state) {
      const payload = encodePayload("state", { v: 1, device: device.id, boot: info.boot, seq: 0, t: info.t, status: "online", firmware: device.firmware, agent: "fieldline-simulator" });
      this.publish(c, topics.state(addr(device)), payload, true);
    }
  }

  async send(b: OutboundBatch): Promise<void> {
    const c = this.clients.get(b.device.id)!;
    while (this.inflight >= this.spec.maxInflight) await new Promise<void>((r) => this.waiters.push(r));
    const payload = encodePayload("telemetry", { v: 1, device: b.device.id, boot: b.boot, seq: b.seq, readings: b.readings });
    for (const r of b.readings) if (r.t > c.lastT) c.lastT = r.t;
    this.publish(c, topics.telemetry(addr(b.device)), payload, false, b.readings.length);
  }

  /** Ends a device's connection abruptly (no DISCONNECT: the broker sends its will) once its publishes are acknowledged. */
  private async disconnect(c: Client): Promise<void> {
    const client = c.mqtt;
    if (!client) return;
    await waitFor(() => c.inflight === 0, 10_000);
    c.mqtt = undefined;
    await new Promise<void>((resolve) => client.end(true, {}, () => resolve()));
  }

  async setOnline(device: SimDevice, online: boolean): Promise<void> {
    const c = this.clients.get(device.id)!;
    if (online && !c.mqtt) await this.connect(c);
    if (!online) await this.disconnect(c);
  }

  async corrupt(device: SimDevice, c: Corruption): Promise<void> {
    const client = this.clients.get(device.id)!;
    if (c.type === "garbage" && client.mqtt) this.publish(client, topics.telemetry(addr(device)), c.bytes);
  }

  async drain(timeoutMs: number): Promise<void> {
    await waitFor(() => this.inflight === 0, timeoutMs);
  }

  stats() {
    return { ...this.s };
  }

  async stop(): Promise<void> {
    const all = [...this.clients.values()];
    await mapLimit(all, 200, async (c) => {
      const client = c.mqtt;
      if (!client) return;
      if (this.spec.state && c.boot && client.connected) {
        const payload = encodePayload("state", { v: 1, device: c.device.id, boot: c.boot.boot, seq: 2, t: c.lastT, status: "offline", firmware: c.device.firmware });
        await client.publishAsync(topics.state(addr(c.device)), Buffer.from(payload), { qos: this.spec.qos, retain: true }).catch(() => {});
      }
      c.mqtt = undefined;
      // A graceful end waits for in-flight publishes; with the broker gone that would be forever.
      await client.endAsync(!client.connected || c.inflight > 0).catch(() => {});
    });
    this.s.connected = 0;
  }
}
