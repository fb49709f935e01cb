/** The broker over real sockets with mqtt.js: listeners, auth, ACL on the wire, limits, metrics. */
import { TOPIC_KINDS, topicFilter, topicFor, topics, type TopicKind } from "@fieldline/firmware-contracts";
import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Broker } from "../src/broker.ts";
import { FileRegistryStore } from "../src/registry/file-store.ts";
import { Registry } from "../src/registry/registry.ts";
import {
  CHEAP_SCRYPT,
  collect,
  connackCode,
  connect,
  connectAs,
  makeEnv,
  metric,
  sleep,
  startBroker,
  subackCodes,
  type TestEnv,
} from "./helpers.ts";

const A = { site: "site1", device: "dev-a" };
const B = { site: "site1", device: "dev-b" };

let env: TestEnv;
let broker: Broker;
let port: number;

beforeAll(async () => {
  env = await makeEnv();
  broker = await startBroker(env, {
    listeners: { mqtt: { port: 0 }, ws: { port: 0 }, http: { port: 0 } },
    limits: { maxPacketBytes: 4096, connectionsPerIdentity: 2, maxRetainedMessages: 3, maxRetainedPayloadBytes: 1000 },
    loginThrottle: { maxFailuresPerIdentity: 3, maxFailuresPerAddress: 50, windowMs: 60_000 },
  });
  port = broker.ports.mqtt!;
});
afterAll(async () => {
  await broker?.stop();
  await env?.cleanup();
});

describe("listeners", () => {
  it("binds the requested port 0 to real ports and serves /healthz and /metrics", async () => {
    const { mqtt: m, ws, http } = broker.ports;
    expect([m, ws, http].every((p) => typeof p === "number" && p > 0)).toBe(true);
    const h = await fetch(`http://127.0.0.1:${http}/healthz`);
    expect(h.status).toBe(200);
    expect(await h.json()).toMatchObject({ ok: true });
    const text = await (await fetch(`http://127.0.0.1:${http}/metrics`)).text();
    expect(text).toContain("fl_broker_connections");
    expect(text).toContain("fl_broker_publish_denied_total");
  });

  it("speaks MQTT over WebSocket", async () => {
    const ws = await connect(0, {
      protocol: "ws",
      host: "127.0.0.1",
      port: broker.ports.ws!,
      path: "/mqtt",
      username: "processor",
      password: env.secrets["processor"],
    });
    const got = collect(ws);
    await ws.subscribeAsync(topicFilter("telemetry"), { qos: 1 });
    const dev = await connectAs(port, env, "dev-a");
    await dev.publishAsync(topics.telemetry(A), Buffer.from("over-ws"), { qos: 1 });
    await got.waitFor(1);
    expect(got.messages[0]!.payload.toString()).toBe("over-ws");
    await Promise.all([ws.endAsync(), dev.endAsync()]);
  });
});

describe("authentication", () => {
  it("accepts registered secrets and refuses wrong ones with return code 4", async () => {
    expect(await connackCode(port, { username: "processor", password: env.secrets["processor"] })).toBe(0);
    expect(await connackCode(port, { username: "processor", password: "nope" })).toBe(4);
    expect(await connackCode(port, { username: "ghost", password: "nope" })).toBe(4);
    expect(await connackCode(port, {})).toBe(4);
  });

  it("requires a device's client id to be its device id (return code 2)", async () => {
    const creds = { username: "dev-a", password: env.secrets["dev-a"] };
    expect(await connackCode(port, { ...creds, clientId: "dev-b" })).toBe(2);
    expect(await connackCode(port, { ...creds, clientId: "dev-a" })).toBe(0);
  });

  it("throttles an identity after repeated failures, even with the right secret", async () => {
    for (let i = 0; i < 3; i++) expect(await connackCode(port, { username: "node-red", password: "bad" })).toBe(4);
    expect(await connackCode(port, { username: "node-red", password: env.secrets["node-red"] })).toBe(5);
    expect(await metric(broker, "fl_broker_connects_total", { result: "throttled-identity" })).toBeGreaterThan(0);
  });

  it("refuses a revoked identity within the registry reload interval and after rotation the old secret", async () => {
    const cli = new Registry(new FileRegistryStore(env.registryFile), { scrypt: CHEAP_SCRYPT });
    await cli.load();
    const { secret } = await cli.add({ username: "temp-op", role: "operator" });
    await sleep(1100);
    expect(await connackCode(port, { username: "temp-op", password: secret })).toBe(0);
    const rotated = await cli.rotate("temp-op");
    await sleep(1100);
    expect(await connackCode(port, { username: "temp-op", password: secret })).toBe(4);
    expect(await connackCode(port, { username: "temp-op", password: rotated.secret })).toBe(0);
    const live = await connect(port, { username: "temp-op", password: rotated.secret });
    const closed = new Promise<void>((r) => live.once("close", () => r()));
    await cli.revoke("temp-op");
    await closed; // the live connection is cut too
    live.end(true);
    expect(await connackCode(port, { username: "temp-op", password: rotated.secret })).toBe(4);
  });
});

describe("authorization on the wire", () => {
  it("answers a denied subscription with SUBACK 0x80 and keeps the connection (MQTT-3.9.3)", async () => {
    const dev = await connectAs(port, env, "dev-a");
    const codes = await subackCodes(dev, [topics.commands(A), topics.commands(B), topicFilter("telemetry"), "#", topics.desiredConfig(A)]);
    expect(codes).toEqual([1, 128, 128, 128, 1]);
    expect(dev.connected).toBe(true);
    await dev.endAsync();
  });

  it("acknowledges, drops and counts a denied publish, and the connection stays (MQTT-3.3.5-2)", async () => {
    const proc = await connectAs(port, env, "processor");
    const got = collect(proc);
    await proc.subscribeAsync(topicFilter("telemetry"), { qos: 1 });
    const dev = await connectAs(port, env, "dev-a");
    const before = await metric(broker, "fl_broker_publish_denied_total", { reason: "acl" });
    await dev.publishAsync(topics.telemetry(B), Buffer.from("spoofed"), { qos: 1 }); // PUBACK arrives
    await dev.publishAsync(topics.commands(A), Buffer.from("self-command"), { qos: 1 });
    await dev.publishAsync(topics.telemetry(A), Buffer.from("genuine"), { qos: 1 });
    await got.waitFor(1);
    await sleep(100);
    expect(got.messages.map((m) => m.payload.toString())).toEqual(["genuine"]);
    expect(await metric(broker, "fl_broker_publish_denied_total", { reason: "acl" })).toBe(before + 2);
    expect(dev.connected).toBe(true);
    await Promise.all([dev.endAsync(), proc.endAsync()]);
  });

  it("runs the whole ACL matrix through SUBSCRIBE for every role", async () => {
    const kinds = Object.keys(TOPIC_KINDS) as TopicKind[];
    const expectSub: Record<string, TopicKind[]> = {
      "dev-a": ["commands", "desiredConfig", "stored"],
      processor: ["telemetry", "state", "events", "alerts", "commandResults", "reportedConfig"],
      alice: ["telemetry", "state", "alerts", "commandResults"],
    };
    for (const [user, allowed] of Object.entries(expectSub)) {
      const c = await connectAs(port, env, user);
      const filters = kinds.map((k) => (user === "dev-a" ? (k === "alerts" ? topicFilter(k, A) : topicFor(k, A)) : topicFilter(k)));
      const codes = await subackCodes(c, filters);
      const got = Object.fromEntries(codes.map((code, i) => [kinds[i]!, code !== 128]));
      expect(got).toEqual(Object.fromEntries(kinds.map((k) => [k, allowed.includes(k)])));
      await c.endAsync();
    }
  });

  it("delivers commands from services to the device, and the device's results back", async () => {
    const dev = await connectAs(port, env, "dev-a");
    const devGot = collect(dev);
    await dev.subscribeAsync(topics.commands(A), { qos: 1 });
    const op = await connectAs(port, env, "alice");
    const opGot = collect(op);
    await op.subscribeAsync(topicFilter("commandResults"), { qos: 1 });
    await op.publishAsync(topics.commands(A), Buffer.from("reboot"), { qos: 1 });
    await devGot.waitFor(1);
    await dev.publishAsync(topics.commandResults(A), Buffer.from("ok"), { qos: 1 });
    await opGot.waitFor(1);
    expect(opGot.messages[0]!.topic).toBe(topics.commandResults(A));
    await Promise.all([dev.endAsync(), op.endAsync()]);
  });
});

describe("limits", () => {
  it("closes a connection that announces a packet over maxPacketBytes", async () => {
    const dev = await connectAs(port, env, "dev-a");
    const closed = new Promise<void>((r) => dev.once("close", () => r()));
    dev.publish(topics.telemetry(A), Buffer.alloc(10_000), { qos: 0 });
    await closed;
    expect(await metric(broker, "fl_broker_oversize_packets_total")).toBeGreaterThan(0);
    dev.end(true);
  });

  it("limits live connections per identity", async () => {
    const a = await connectAs(port, env, "processor", { clientId: "p1" });
    const b = await connectAs(port, env, "processor", { clientId: "p2" });
    expect(await connackCode(port, { username: "processor", password: env.secrets["processor"], clientId: "p3" })).toBe(5);
    await a.endAsync();
    await sleep(50);
    expect(await connackCode(port, { username: "processor", password: env.secrets["processor"], clientId: "p3" })).toBe(0);
    await b.endAsync();
  });

  it("limits retained messages in size and number", async () => {
    const proc = await connectAs(port, env, "processor");
    const before = await metric(broker, "fl_broker_publish_denied_total", { reason: "retain-limit" });
    for (const d of ["d1", "d2", "d3", "d4"]) {
      await proc.publishAsync(topics.desiredConfig({ site: "s", device: d }), Buffer.from("v1"), { qos: 1, retain: true });
    }
    await proc.publishAsync(topics.desiredConfig({ site: "s", device: "d1" }), Buffer.alloc(2000), { qos: 1, retain: true });
    expect(await metric(broker, "fl_broker_publish_denied_total", { reason: "retain-limit" })).toBe(before + 1);
    expect(await metric(broker, "fl_broker_publish_denied_total", { reason: "retain-size" })).toBe(1);
    const dev = await connect(port, { username: "d4", clientId: "d4", password: "x" }).catch(() => undefined);
    expect(dev).toBeUndefined();
    // clearing one makes room again
    await proc.publishAsync(topics.desiredConfig({ site: "s", device: "d1" }), Buffer.alloc(0), { qos: 1, retain: true });
    await proc.publishAsync(topics.desiredConfig({ site: "s", device: "d4" }), Buffer.from("v1"), { qos: 1, retain: true });
    expect(await metric(broker, "fl_broker_publish_denied_total", { reason: "retain-limit" })).toBe(before + 1);
    await proc.endAsync();
  });
});

describe("publish rate", () => {
  it("paces a client over its rate instead of dropping its messages", async () => {
    const env2 = await makeEnv([{ username: "dev-a", role: "device", site: "site1", device: "dev-a" }, { username: "processor", role: "processor" }]);
    const b2 = await startBroker(env2, { limits: { publishRate: { perSecond: 50, burst: 10, maxDelayMs: 5000 } } });
    try {
      const p = b2.ports.mqtt!;
      const proc = await connectAs(p, env2, "processor");
      const got = collect(proc);
      await proc.subscribeAsync(topicFilter("telemetry"), { qos: 1 });
      const dev = await connectAs(p, env2, "dev-a");
      const t0 = Date.now();
      await Promise.all(Array.from({ length: 40 }, (_, i) => dev.publishAsync(topics.telemetry(A), Buffer.from(String(i)), { qos: 1 })));
      await got.waitFor(40);
      const elapsed = Date.now() - t0;
      // 10 at once, then 30 at 50/s: at least ~600 ms
      expect(elapsed).toBeGreaterThanOrEqual(500);
      expect(got.messages.map((m) => m.payload.toString())).toEqual(Array.from({ length: 40 }, (_, i) => String(i)));
      expect(await metric(b2, "fl_broker_publish_paced_total")).toBeGreaterThanOrEqual(29);
      await Promise.all([dev.endAsync(), proc.endAsync()]);
    } finally {
      await b2.stop();
      await env2.cleanup();
    }
  });
});

it("stop() releases every port", async () => {
  const env3 = await makeEnv([]);
  const b = await startBroker(env3, { listeners: { mqtt: { port: 0 }, ws: { port: 0 }, http: { port: 0 } } });
  const ports = b.ports;
  const c = mqtt.connect({ host: "127.0.0.1", port: ports.mqtt!, reconnectPeriod: 0 });
  c.on("error", () => undefined);
  await b.stop();
  for (const p of [ports.mqtt, ports.ws, ports.http]) {
    await expect(fetch(`http://127.0.0.1:${p}/healthz`)).rejects.toThrow();
  }
  c.end(true);
  await env3.cleanup();
});
