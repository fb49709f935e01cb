/**
 * MQTT 3.1.1 conformance where the spec is clear, through the Fieldline hooks, with mqtt.js
 * and (for packets mqtt.js will not send) hand-built CONNECT bytes. Clause ids are from
 * the OASIS MQTT 3.1.1 specification.
 */
import { connect as netConnect } from "node:net";
import { topicFilter, topics } from "@fieldline/firmware-contracts";
import mqtt, { type IConnackPacket } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Broker } from "../src/broker.ts";
import { collect, connackCode, connect, connectAs, makeEnv, metric, sleep, startBroker, type TestEnv } from "./helpers.ts";

const A = { site: "site1", device: "dev-a" };

let env: TestEnv;
let broker: Broker;
let port: number;

beforeAll(async () => {
  env = await makeEnv();
  broker = await startBroker(env);
  port = broker.ports.mqtt!;
});
afterAll(async () => {
  await broker?.stop();
  await env?.cleanup();
});

function utf8(s: string): Buffer {
  const b = Buffer.from(s, "utf8");
  return Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]);
}

/** A v3.1.1 CONNECT built by hand (MQTT-3.1), for cases a client library refuses to send. */
function rawConnect(o: { clientId: string; clean: boolean; username?: string; password?: string }): Buffer {
  const flags = (o.username ? 0x80 : 0) | (o.password ? 0x40 : 0) | (o.clean ? 0x02 : 0);
  const variable = Buffer.concat([utf8("MQTT"), Buffer.from([4, flags, 0, 60])]);
  const payload = Buffer.concat([
    utf8(o.clientId),
    ...(o.username ? [utf8(o.username)] : []),
    ...(o.password ? [utf8(o.password)] : []),
  ]);
  const len = variable.length + payload.length;
  if (len > 127) throw new Error("test packet too long");
  return Buffer.concat([Buffer.from([0x10, len]), variable, payload]);
}

/** Sends raw CONNECT, returns the CONNACK return code and whether the server closed the socket. */
function rawConnack(packet: Buffer): Promise<{ code: number; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const s = netConnect(port, "127.0.0.1", () => s.write(packet));
    let code = -1;
    s.on("data", (d) => {
      if (d[0] === 0x20 && d.length >= 4) code = d[3]!;
    });
    s.on("close", () => resolve({ code, closed: true }));
    s.on("error", reject);
    setTimeout(() => {
      s.destroy();
      resolve({ code, closed: false });
    }, 2000);
  });
}

describe("client identifier (MQTT-3.1.3)", () => {
  it("assigns an id to a zero-length client id with CleanSession=1 (MQTT-3.1.3-6, -7)", async () => {
    const c = await connect(port, { clientId: "", clean: true, username: "processor", password: env.secrets["processor"] });
    expect(c.connected).toBe(true);
    await c.endAsync();
  });

  it("answers a zero-length client id with CleanSession=0 with CONNACK 0x02 and closes (MQTT-3.1.3-8, -9)", async () => {
    const r = await rawConnack(rawConnect({ clientId: "", clean: false, username: "processor", password: env.secrets["processor"] }));
    expect(r).toEqual({ code: 2, closed: true });
  });

  it("CONNACK 0x05 is followed by closing the connection (MQTT-3.2.2-5)", async () => {
    const r = await rawConnack(rawConnect({ clientId: "x", clean: true, username: "processor", password: "wrong" }));
    expect(r).toEqual({ code: 4, closed: true });
  });

  it("a device cannot use a zero-length id: its id must be its device id", async () => {
    expect(await connackCode(port, { clientId: "", username: "dev-a", password: env.secrets["dev-a"] })).toBe(2);
  });

  it("a second connection with the same client id takes over the first (MQTT-3.1.4-2)", async () => {
    const first = await connectAs(port, env, "dev-a");
    const closed = new Promise<void>((r) => first.once("close", () => r()));
    const second = await connectAs(port, env, "dev-a");
    await closed;
    expect(second.connected).toBe(true);
    first.end(true);
    await second.endAsync();
  });
});

describe("will message (MQTT-3.1.2-8 .. -10)", () => {
  const will = { topic: topics.state(A), payload: Buffer.from("offline"), qos: 1 as const, retain: true };

  it("is published when the network connection closes without DISCONNECT (MQTT-3.1.2-8)", async () => {
    const proc = await connectAs(port, env, "processor");
    const got = collect(proc);
    await proc.subscribeAsync(topicFilter("state"), { qos: 1 });
    const dev = await connectAs(port, env, "dev-a", { will });
    (dev.stream as { destroy(): void }).destroy();
    await got.waitFor(1);
    expect(got.messages[0]).toMatchObject({ topic: topics.state(A), retain: false });
    expect(got.messages[0]!.payload.toString()).toBe("offline");
    dev.end(true);
    // MQTT-3.1.2-17: a retained will is stored as retained
    const late = await connectAs(port, env, "alice");
    const lateGot = collect(late);
    await late.subscribeAsync(topicFilter("state"), { qos: 1 });
    await lateGot.waitFor(1);
    expect(lateGot.messages[0]).toMatchObject({ topic: topics.state(A), retain: true });
    await Promise.all([proc.endAsync(), late.endAsync()]);
  });

  it("is discarded on a clean DISCONNECT (MQTT-3.1.2-10)", async () => {
    const proc = await connectAs(port, env, "processor");
    const got = collect(proc);
    await proc.subscribeAsync(topicFilter("events"), { qos: 1 });
    const dev = await connectAs(port, env, "dev-a", { will: { ...will, topic: topics.events(A), retain: false } });
    await dev.endAsync();
    await sleep(200);
    expect(got.messages).toEqual([]);
    await proc.endAsync();
  });

  it("is dropped and counted when its topic is outside the client's ACL", async () => {
    const before = await metric(broker, "fl_broker_publish_denied_total", { reason: "acl" });
    const dev = await connectAs(port, env, "dev-a", { will: { ...will, topic: topics.state({ site: "site1", device: "dev-b" }) } });
    (dev.stream as { destroy(): void }).destroy();
    await sleep(200);
    expect(await metric(broker, "fl_broker_publish_denied_total", { reason: "acl" })).toBe(before + 1);
    dev.end(true);
  });
});

describe("retained messages (MQTT-3.3.1-5 .. -12)", () => {
  const addr = { site: "site9", device: "dev-r" };

  it("stores, delivers to new subscribers with RETAIN=1, and forwards live with RETAIN=0", async () => {
    const proc = await connectAs(port, env, "processor");
    const live = await connectAs(port, env, "alice");
    const liveGot = collect(live);
    await live.subscribeAsync(topicFilter("alerts", addr), { qos: 1 });
    await proc.publishAsync(topics.alert(addr, "r1"), Buffer.from("raised"), { qos: 1, retain: true }); // MQTT-3.3.1-5
    await liveGot.waitFor(1);
    expect(liveGot.messages[0]!.retain).toBe(false); // MQTT-3.3.1-9

    const late = await connectAs(port, env, "node-red");
    const lateGot = collect(late);
    await late.subscribeAsync(topicFilter("alerts", addr), { qos: 1 });
    await lateGot.waitFor(1);
    expect(lateGot.messages[0]).toMatchObject({ topic: topics.alert(addr, "r1"), retain: true }); // MQTT-3.3.1-6, -8

    await proc.publishAsync(topics.alert(addr, "r1"), Buffer.from("cleared"), { qos: 1, retain: true }); // replaces (MQTT-3.3.1-5)
    await proc.publishAsync(topics.alert(addr, "r1"), Buffer.alloc(0), { qos: 1, retain: true }); // removes (MQTT-3.3.1-10)
    await late.endAsync();
    const later = await connectAs(port, env, "node-red");
    const laterGot = collect(later);
    await later.subscribeAsync(topicFilter("alerts", addr), { qos: 1 });
    await sleep(200);
    expect(laterGot.messages).toEqual([]); // MQTT-3.3.1-11: nothing retained any more
    await Promise.all([proc.endAsync(), live.endAsync(), later.endAsync()]);
  });
});

describe("QoS 2 (MQTT-4.3.3)", () => {
  it("delivers exactly once end to end, in order (MQTT-4.6.0-6)", async () => {
    const proc = await connectAs(port, env, "processor");
    const got = collect(proc);
    await proc.subscribeAsync(topicFilter("events"), { qos: 2 });
    const dev = await connectAs(port, env, "dev-a");
    for (let i = 0; i < 20; i++) await dev.publishAsync(topics.events(A), Buffer.from(String(i)), { qos: 2 });
    await got.waitFor(20);
    await sleep(200);
    expect(got.messages.map((m) => m.payload.toString())).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
    expect(got.messages.every((m) => m.qos === 2)).toBe(true);
    await Promise.all([dev.endAsync(), proc.endAsync()]);
  });
});

describe("persistent sessions (MQTT-3.1.2-4 .. -6, MQTT-3.2.2-2)", () => {
  function open(clean: boolean) {
    const c = mqtt.connect({
      host: "127.0.0.1",
      port,
      reconnectPeriod: 0,
      clientId: "proc-session",
      clean,
      username: "processor",
      password: env.secrets["processor"],
    });
    const got = collect(c);
    const connack = new Promise<IConnackPacket>((resolve, reject) => {
      c.once("connect", resolve);
      c.once("error", reject);
    });
    return { c, got, connack };
  }

  it("keeps subscriptions and queues QoS 1 messages while the client is away; CleanSession=1 discards them", async () => {
    const first = open(false);
    expect((await first.connack).sessionPresent).toBe(false);
    await first.c.subscribeAsync(topicFilter("telemetry"), { qos: 1 });
    await first.c.endAsync();

    const dev = await connectAs(port, env, "dev-a");
    for (let i = 0; i < 5; i++) await dev.publishAsync(topics.telemetry(A), Buffer.from(`queued-${i}`), { qos: 1 });

    const back = open(false);
    expect((await back.connack).sessionPresent).toBe(true); // MQTT-3.2.2-2
    await back.got.waitFor(5); // MQTT-3.1.2-5: stored QoS 1 messages are sent on resume
    expect(back.got.messages.map((m) => m.payload.toString())).toEqual([0, 1, 2, 3, 4].map((i) => `queued-${i}`));
    await dev.publishAsync(topics.telemetry(A), Buffer.from("live"), { qos: 1 }); // the subscription survived (MQTT-3.1.2-4)
    await back.got.waitFor(6);
    await back.c.endAsync();

    const fresh = open(true);
    expect((await fresh.connack).sessionPresent).toBe(false); // MQTT-3.1.2-6, MQTT-3.2.2-1
    await fresh.c.endAsync();
    await dev.publishAsync(topics.telemetry(A), Buffer.from("after-clean"), { qos: 1 });
    const again = open(false);
    expect((await again.connack).sessionPresent).toBe(false);
    await sleep(200);
    expect(again.got.messages).toEqual([]);
    await Promise.all([again.c.endAsync(), dev.endAsync()]);
  });
});
