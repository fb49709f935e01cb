/**
 * Two broker instances sharing one real redis-server (mqemitter-redis + aedes-persistence-redis):
 * delivery across brokers, shared retained messages, and session takeover and resumption.
 */
import { topicFilter, topics } from "@fieldline/firmware-contracts";
import mqtt, { type IConnackPacket } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Broker } from "../src/broker.ts";
import { collect, connectAs, makeEnv, sleep, startBroker, type TestEnv } from "./helpers.ts";
import { startRedis, type RedisServer } from "./redis.ts";

const A = { site: "site1", device: "dev-a" };

let env: TestEnv;
let redis: RedisServer;
let one: Broker;
let two: Broker;

beforeAll(async () => {
  env = await makeEnv();
  redis = await startRedis(env.dir);
  one = await startBroker(env, { id: "broker-one", cluster: { redis: redis.url } });
  two = await startBroker(env, { id: "broker-two", cluster: { redis: redis.url } });
});
afterAll(async () => {
  await one?.stop();
  await two?.stop();
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
    for (let i = 0; i < 10; i++) await dev.publishAsync(topics.telemetry(A), Buffer.from(String(i)), { qos: 1 });
    await got.waitFor(10);
    expect(got.messages.map((m) => m.payload.toString())).toEqual(Array.from({ length: 10 }, (_, i) => String(i)));
    await Promise.all([dev.endAsync(), proc.endAsync()]);
  });

  it("shares retained messages: desired config stored via one broker reaches a device on the other", async () => {
    const proc = await connectAs(one.ports.mqtt!, env, "processor");
    await proc.publishAsync(topics.desiredConfig(A), Buffer.from("rules v7"), { qos: 1, retain: true });
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
