/**
 * A persistent session returning while messages keep arriving: it gets CONNACK first
 * (MQTT-3.2.0-1), then everything queued while it was away, then the live messages, each
 * publisher's messages in the order they were published (MQTT-4.6.0-6), none missing. Run
 * on every persistence backend.
 */
import { topicFilter, topics } from "@fieldline/firmware-contracts";
import type { MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Broker } from "../src/broker.ts";
import { connectAs, makeEnv, sleep, startBroker, type TestEnv } from "./helpers.ts";
import { CONNACK, RawClient } from "./raw-client.ts";
import { startRedis, type RedisServer } from "./redis.ts";

const DEVICES = ["dev-a", "dev-b"];

let env: TestEnv;
let redis: RedisServer;
const brokers: Record<string, Broker> = {};

beforeAll(async () => {
  env = await makeEnv();
  redis = await startRedis(env.dir);
  brokers.memory = await startBroker(env, { persistence: { backend: "memory" } });
  brokers.disk = await startBroker(env);
  brokers.redis = await startBroker(env, { cluster: { redis: redis.url } });
});
afterAll(async () => {
  for (const b of Object.values(brokers)) await b.stop();
  await redis?.stop();
  await env?.cleanup();
});

/** Publishes `device:seq` at QoS 1 with `window` in flight; `acked` holds what got PUBACK. */
function publisher(c: MqttClient, device: string, window = 20) {
  const topic = topics.telemetry({ site: "site1", device });
  const acked: number[] = [];
  let seq = 0;
  let running = false;
  let inFlight = 0;
  let idle: (() => void) | undefined;
  const pump = () => {
    while (running && inFlight < window) {
      const n = seq++;
      inFlight++;
      c.publish(topic, `${device}:${n}`, { qos: 1 }, (err) => {
        inFlight--;
        if (!err) acked.push(n);
        if (inFlight === 0) idle?.();
        pump();
      });
    }
  };
  return {
    acked,
    /** Publishes `count` messages and waits for all their PUBACKs. */
    async burst(count: number) {
      const until = seq + count;
      await new Promise<void>((resolve) => {
        const step = () => {
          while (seq < until && inFlight < window) {
            const n = seq++;
            inFlight++;
            c.publish(topic, `${device}:${n}`, { qos: 1 }, (err) => {
              inFlight--;
              if (!err) acked.push(n);
              if (seq >= until && inFlight === 0) resolve();
              else step();
            });
          }
        };
        step();
      });
    },
    start() {
      running = true;
      pump();
    },
    async stop() {
      running = false;
      if (inFlight > 0) await new Promise<void>((r) => (idle = r));
    },
  };
}

describe.each(["memory", "disk", "redis"])("a persistent session resuming under live traffic (%s)", (backend) => {
  it("gets CONNACK first, then every message of each publisher in publish order", async () => {
    const port = brokers[backend]!.ports.mqtt!;
    const clientId = `resume-${backend}`;
    const login = { clientId, username: "processor", password: env.secrets["processor"]!, clean: false };
    const first = new RawClient();
    await first.connect(port, login);
    await first.subscribe(topicFilter("telemetry"));
    await first.disconnect();
    await sleep(100); // the Redis SUBSCRIBE

    const clients = await Promise.all(DEVICES.map((d) => connectAs(port, env, d)));
    const pubs = DEVICES.map((d, i) => publisher(clients[i]!, d));
    const got: RawClient[] = [];
    for (let round = 0; round < 3; round++) {
      // queued while away
      await Promise.all(pubs.map((p) => p.burst(300)));
      // live, in a tight loop, while the session returns
      for (const p of pubs) p.start();
      await sleep(20 + round * 30);
      const back = new RawClient();
      got.push(back);
      await back.connect(port, login);
      await sleep(300);
      for (const p of pubs) await p.stop();
      const want = pubs.reduce((n, p) => n + p.acked.length, 0);
      const received = () => new Set(got.flatMap((g) => g.publishes().map((s) => s.payload))).size;
      await back.until(() => received() >= want, 15_000);
      // MQTT-3.2.0-1: CONNACK is the first packet the server sends
      expect(back.seen[0]!.type).toBe(CONNACK);
      if (round < 2) await back.disconnect();
    }

    for (const [i, device] of DEVICES.entries()) {
      const all = got.flatMap((g) => g.publishes().map((s) => s.payload!)).filter((p) => p.startsWith(`${device}:`));
      const seqs = new Set(all.map((p) => Number(p.split(":")[1])));
      // in publish order within each connection; a redelivery after a reconnect may repeat the unacknowledged tail
      for (const g of got) {
        const s = g.publishes().filter((p) => p.payload!.startsWith(`${device}:`)).map((p) => Number(p.payload!.split(":")[1]));
        expect(s.filter((n, k) => k > 0 && n < s[k - 1]!), `${device} out of order`).toEqual([]);
      }
      const missing = pubs[i]!.acked.filter((n) => !seqs.has(n));
      expect(missing, `${device}: acknowledged but never delivered`).toEqual([]);
    }
    await got.at(-1)!.disconnect();
    await Promise.all(clients.map((c) => c.endAsync()));
  }, 60_000);
});
