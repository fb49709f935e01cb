/** Test helpers: a registry with cheap scrypt, a broker on random loopback ports, mqtt.js clients. */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import { pino } from "pino";
import { Broker } from "../src/broker.ts";
import { parseConfig, type BrokerConfigInput } from "../src/config.ts";
import { FileRegistryStore } from "../src/registry/file-store.ts";
import { Registry, type NewIdentity } from "../src/registry/registry.ts";

export const CHEAP_SCRYPT = { N: 1024, r: 8, p: 1 };

export interface TestEnv {
  dir: string;
  registryFile: string;
  secrets: Record<string, string>;
  cleanup(): Promise<void>;
}

export const DEVICE_A = { username: "dev-a", role: "device", site: "site1", device: "dev-a" } as const;
export const DEVICE_B = { username: "dev-b", role: "device", site: "site1", device: "dev-b" } as const;
export const PROCESSOR = { username: "processor", role: "processor" } as const;
export const NODE_RED = { username: "node-red", role: "node-red" } as const;
export const OPERATOR = { username: "alice", role: "operator" } as const;
export const STANDARD_IDENTITIES: NewIdentity[] = [DEVICE_A, DEVICE_B, PROCESSOR, NODE_RED, OPERATOR];

export async function makeEnv(identities: NewIdentity[] = STANDARD_IDENTITIES): Promise<TestEnv> {
  const dir = await mkdtemp(join(tmpdir(), "fl-broker-"));
  const registryFile = join(dir, "registry.json");
  const registry = new Registry(new FileRegistryStore(registryFile), { scrypt: CHEAP_SCRYPT });
  const secrets: Record<string, string> = {};
  for (const id of identities) secrets[id.username] = (await registry.add(id)).secret;
  return { dir, registryFile, secrets, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A broker in this process; each gets its own persistence dir under the env's dir unless told. */
export async function startBroker(env: TestEnv, overrides: Partial<BrokerConfigInput> = {}): Promise<Broker> {
  const dir = await mkdtemp(join(env.dir, "broker-data-"));
  const config = parseConfig({
    listeners: { mqtt: { port: 0 }, http: { port: 0 } },
    registry: { file: env.registryFile },
    ...overrides,
    persistence: { dir, ...overrides.persistence },
  });
  const broker = new Broker(config, { log: pino({ level: "silent" }), processMetrics: false });
  await broker.start();
  return broker;
}

/** Connects and resolves on CONNACK 0; rejects with the error (its `code` is the return code). */
export function connect(port: number, opts: IClientOptions = {}): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect({
      host: "127.0.0.1",
      port,
      protocolVersion: 4,
      reconnectPeriod: 0,
      connectTimeout: 5000,
      ...opts,
    });
    c.once("connect", () => resolve(c));
    c.once("error", (e) => {
      c.end(true);
      reject(e);
    });
    c.once("close", () => reject(new Error("closed before CONNACK")));
  });
}

/** Connects as a registered identity (device client ids are their device ids). */
export function connectAs(port: number, env: TestEnv, username: string, opts: IClientOptions = {}): Promise<MqttClient> {
  return connect(port, { username, password: env.secrets[username], clientId: username, ...opts });
}

export async function connackCode(port: number, opts: IClientOptions): Promise<number> {
  try {
    const c = await connect(port, opts);
    await c.endAsync();
    return 0;
  } catch (e) {
    const code = (e as { code?: number }).code;
    if (typeof code !== "number") throw e;
    return code;
  }
}

/** Collects messages on a client; `waitFor(n)` resolves once n have arrived. */
export function collect(c: MqttClient) {
  const messages: { topic: string; payload: Buffer; retain: boolean; qos: number }[] = [];
  let waiters: { n: number; resolve: () => void }[] = [];
  c.on("message", (topic, payload, packet) => {
    messages.push({ topic, payload, retain: packet.retain, qos: packet.qos });
    waiters = waiters.filter((w) => (messages.length >= w.n ? (w.resolve(), false) : true));
  });
  return {
    messages,
    waitFor(n: number, timeoutMs = 5000): Promise<void> {
      if (messages.length >= n) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`got ${messages.length} of ${n} messages`)), timeoutMs);
        waiters.push({ n, resolve: () => (clearTimeout(t), resolve()) });
      });
    },
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Reads one counter (summed over labels, or one label set) from the broker's registry. */
export async function metric(broker: Broker, name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = await broker.metrics.registry.getSingleMetric(name)?.get();
  if (!m) return 0;
  return m.values
    .filter((v) => Object.entries(labels).every(([k, val]) => (v.labels as Record<string, unknown>)[k] === val))
    .reduce((a, v) => a + v.value, 0);
}

/** SUBSCRIBEs (QoS 1) and returns the SUBACK return codes in order; 0x80 is a refusal (MQTT-3.9.3). */
export async function subackCodes(c: MqttClient, filters: string[]): Promise<number[]> {
  try {
    const granted = await c.subscribeAsync(filters, { qos: 1 });
    const byTopic = new Map(granted.map((g) => [g.topic, g.qos]));
    return filters.map((f) => byTopic.get(f) ?? -1);
  } catch (e) {
    const packet = (e as { packet?: { granted?: number[] } }).packet;
    if (!packet?.granted) throw e;
    return packet.granted;
  }
}
