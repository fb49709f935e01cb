/**
 * Two broker instances sharing one real redis-server (mqemitter-redis + aedes-persistence-redis):
 * delivery across brokers, shared retained messages, session takeover and resumption, and
 * SUBSCRIBE packets carrying several filters for a persistent session.
 */
import { topicFilter, topics } from "@fieldline/firmware-contracts";
import mqtt, { type IConnackPacket, type ISubscriptionGrant, type MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Broker } from "../src/broker.ts";
import { collect, connectAs, makeEnv, sleep, startBroker, type TestEnv } from "./helpers.ts";
import { startRedis, type RedisServer } from "./redis.ts";

const A = { site: "site1", device: "dev-a" };

let env: TestEnv;
let redis: RedisServer;
let one: Broker;
let two: Broker;
let memory: Broker;

beforeAll(async () => {
  env = await makeEnv();
  redis = await startRedis(env.dir);
  one = await startBroker(env, { id: "broker-one", cluster: { redis: redis.url } });
  two = await startBroker(env, { id: "broker-two", cluster: { redis: redis.url } });
  memory = await startBroker(env, { id: "broker-memory", persistence: { backend: "memory" } });
});
afterAll(async () => {
  await one?.stop();
  await two?.stop();
  await memory?.stop();
  await redis?.stop();
  await env?.cleanup();
});

describe("two brokers on one Redis", () => {
  it("delivers a device's telemetry published on one broker to a subscriber on the other", async () => {
    const proc = await connectAs(two.ports.mqtt!, env, "processor");
    const got = collect(proc);
    await proc.subscribeAsync(topicFilter("telemetry"), { qos: 1 });
    await sleep(100); // the Redis SUBSCRIBE for the new filter
    const dev = await connectAs(one.ports.mqtt!, env, "dev-a");
    for (let i = 0; i < 10; i++)
      await dev.publishAsync(topics.telemetry(A), Buffer.from(String(i)), { qos: 1 });
    await got.waitFor(10);
    expect(got.messages.map((m) => m.payload.toString())).toEqual(
      Array.from({ length: 10 }, (_, i) => String(i)),
    );
    await Promise.all([dev.endAsync(), proc.endAsync()]);
  });

  it("shares retained messages: desired config stored via one broker reaches a device on the other", async () => {
    const proc = await connectAs(one.ports.mqtt!, env, "processor");
    await proc.publishAsync(topics.desiredConfig(A), Buffer.from("rules v7"), {
      qos: 1,
      retain: true,
    });
    await proc.endAsync();
    const dev = await connectAs(two.ports.mqtt!, env, "dev-a");
    const got = collect(dev);
    await dev.subscribeAsync(topics.desiredConfig(A), { qos: 1 });
    await got.waitFor(1);
    expect(got.messages[0]).toMatchObject({ topic: topics.desiredConfig(A), retain: true });
    expect(got.messages[0]!.payload.toString()).toBe("rules v7");
    await dev.endAsync();
  });

  it("takes a session over across brokers and resumes it with the messages queued meanwhile", async () => {
    function open(port: number) {
      const c = mqtt.connect({
        host: "127.0.0.1",
        port,
        reconnectPeriod: 0,
        clientId: "dev-a",
        clean: false,
        username: "dev-a",
        password: env.secrets["dev-a"],
      });
      const got = collect(c);
      const connack = new Promise<IConnackPacket>((resolve, reject) => {
        c.once("connect", resolve);
        c.once("error", reject);
      });
      return { c, got, connack };
    }
    const first = open(one.ports.mqtt!);
    await first.connack;
    await first.c.subscribeAsync(topics.commands(A), { qos: 1 });

    // MQTT-3.1.4-2 across instances: connecting on broker two closes the session on broker one
    const closed = new Promise<void>((r) => first.c.once("close", () => r()));
    const second = open(two.ports.mqtt!);
    expect((await second.connack).sessionPresent).toBe(true);
    await closed;
    first.c.end(true);

    const op = await connectAs(one.ports.mqtt!, env, "alice");
    await op.publishAsync(topics.commands(A), Buffer.from("while-on-two"), { qos: 1 });
    await second.got.waitFor(1);
    await second.c.endAsync();

    // offline: queued in Redis, delivered when the device comes back on the other broker
    await op.publishAsync(topics.commands(A), Buffer.from("while-offline"), { qos: 1 });
    const third = open(one.ports.mqtt!);
    expect((await third.connack).sessionPresent).toBe(true);
    await third.got.waitFor(1);
    expect(third.got.messages.map((m) => m.payload.toString())).toEqual(["while-offline"]);
    await Promise.all([third.c.endAsync(), op.endAsync()]);
  });
});

/** Resolves with the SUBACK grants, or fails after `ms` saying the SUBACK never came. */
function subackWithin(p: Promise<ISubscriptionGrant[]>, ms = 3000): Promise<ISubscriptionGrant[]> {
  return Promise.race([
    p,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`no SUBACK within ${ms} ms`)), ms),
    ),
  ]);
}

describe("SUBSCRIBE carrying several filters, persistent session", () => {
  const EVENTS = topicFilter("events");
  const ALERTS = topicFilter("alerts");
  const persistent = (port: number, clientId: string) =>
    connectAs(port, env, "processor", { clientId, clean: false });
  /** A clean-session connect discards the session a test left (MQTT-3.1.2-6). */
  const forget = async (port: number, clientId: string) =>
    (await connectAs(port, env, "processor", { clientId, clean: true })).endAsync();

  it.each(["memory", "redis"] as const)(
    "acknowledges a two-filter SUBSCRIBE and delivers on both filters (%s backend)",
    async (backend) => {
      const port = (backend === "memory" ? memory : one).ports.mqtt!;
      const clientId = `observer-${backend}`;
      const obs = await persistent(port, clientId);
      const got = collect(obs);
      const granted = await subackWithin(obs.subscribeAsync([EVENTS, ALERTS], { qos: 1 }));
      expect(granted.map((g) => [g.topic, g.qos])).toEqual([
        [EVENTS, 1],
        [ALERTS, 1],
      ]);
      await sleep(100); // the Redis SUBSCRIBE for the new filters
      const dev = await connectAs(port, env, "dev-a");
      const pub = await connectAs(port, env, "processor", { clientId: `pub-${backend}` });
      await dev.publishAsync(topics.events(A), Buffer.from("event"), { qos: 1 });
      await pub.publishAsync(topics.alert(A, "r1"), Buffer.from("alert"), { qos: 1 });
      await got.waitFor(2);
      expect(got.messages.map((m) => m.payload.toString()).sort()).toEqual(["alert", "event"]);
      await Promise.all([dev.endAsync(), pub.endAsync(), obs.endAsync()]);
      await forget(port, clientId);
    },
  );

  it("keeps both filters of one SUBSCRIBE in the Redis session: messages queued while away arrive on the other broker", async () => {
    const first = await persistent(one.ports.mqtt!, "observer-session");
    await subackWithin(first.subscribeAsync({ [EVENTS]: { qos: 1 }, [ALERTS]: { qos: 1 } }));
    await first.endAsync();

    const dev = await connectAs(two.ports.mqtt!, env, "dev-a");
    const pub = await connectAs(two.ports.mqtt!, env, "processor", { clientId: "pub-session" });
    await dev.publishAsync(topics.events(A), Buffer.from("event-offline"), { qos: 1 });
    await pub.publishAsync(topics.alert(A, "r2"), Buffer.from("alert-offline"), { qos: 1 });

    const back = mqtt.connect({
      host: "127.0.0.1",
      port: two.ports.mqtt!,
      reconnectPeriod: 0,
      clientId: "observer-session",
      clean: false,
      username: "processor",
      password: env.secrets["processor"],
    });
    const got = collect(back);
    const connack = await new Promise<IConnackPacket>((resolve, reject) => {
      back.once("connect", resolve);
      back.once("error", reject);
    });
    expect(connack.sessionPresent).toBe(true);
    await got.waitFor(2);
    expect(got.messages.map((m) => m.payload.toString()).sort()).toEqual([
      "alert-offline",
      "event-offline",
    ]);
    await Promise.all([dev.endAsync(), pub.endAsync(), back.endAsync()]);
    await forget(one.ports.mqtt!, "observer-session");
  });

  it("acknowledges two SUBSCRIBE packets with the same first filter that reach the broker in one read", async () => {
    const obs = await persistent(one.ports.mqtt!, "observer-batch");
    // both packets leave in one write, so Aedes handles them together
    const stream = (
      obs as MqttClient & { stream: NodeJS.WritableStream & { cork(): void; uncork(): void } }
    ).stream;
    stream.cork();
    const a = obs.subscribeAsync([EVENTS, ALERTS], { qos: 1 });
    const b = obs.subscribeAsync([EVENTS, topicFilter("state")], { qos: 1 });
    process.nextTick(() => stream.uncork());
    const [ga, gb] = await Promise.all([subackWithin(a), subackWithin(b)]);
    expect(ga.map((g) => g.qos)).toEqual([1, 1]);
    expect(gb.map((g) => g.qos)).toEqual([1, 1]);
    await obs.endAsync();
    await forget(one.ports.mqtt!, "observer-batch");
  });
});
