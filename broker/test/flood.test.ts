/**
 * Robustness under a flood: 20 device publishers (their own process) at full speed toward
 * one slow wildcard subscriber, QoS 0 then QoS 1, with the subscriber leaving mid-flood.
 * Plain Aedes 1.2.0 dies here with "RangeError: Maximum call stack size exceeded" (see
 * broker/README.md); this broker must stay up with bounded memory, dropping (and counting)
 * only QoS 0 toward the slow subscriber.
 */
import { topicFilter } from "@fieldline/firmware-contracts";
import type { MqttClient } from "mqtt";
import { afterAll, beforeAll, expect, it } from "vitest";
import { connect, makeEnv, sleep, type TestEnv } from "./helpers.ts";
import { spawnBroker, spawnFlood, type BrokerProcess } from "./processes.ts";

const DEVICES = Array.from({ length: 20 }, (_, i) => ({
  username: `dev-${i}`,
  role: "device" as const,
  site: "flood",
  device: `dev-${i}`,
}));

let env: TestEnv;
let broker: BrokerProcess;

beforeAll(async () => {
  env = await makeEnv([...DEVICES, { username: "processor", role: "processor" }]);
  broker = await spawnBroker({
    listeners: { mqtt: { port: 0 } },
    registry: { file: env.registryFile },
    limits: {
      publishRate: { perSecond: 1e6, burst: 1e6, maxDelayMs: 10_000 },
      subscriberBufferBytes: 1024 * 1024,
      subscriberBufferBytesQos: 4 * 1024 * 1024,
    },
  });
}, 30_000);
afterAll(async () => {
  await broker?.stop();
  await env?.cleanup();
});

/** A wildcard subscriber that reads for 100 ms out of every 2 s. */
async function slowSubscriber(qos: 0 | 1): Promise<{ c: MqttClient; received: () => number; stop: () => void }> {
  const c = await connect(broker.ports.mqtt!, { connectTimeout: 20_000, username: "processor", password: env.secrets["processor"], clientId: `slow-${qos}` });
  let n = 0;
  c.on("message", () => n++);
  await c.subscribeAsync(topicFilter("telemetry"), { qos });
  const socket = c.stream as unknown as { pause(): void; resume(): void };
  const timer = setInterval(() => {
    socket.pause();
    setTimeout(() => socket.resume(), 1900);
  }, 2000);
  return { c, received: () => n, stop: () => clearInterval(timer) };
}

async function sampleRss(ms: number): Promise<number[]> {
  const out: number[] = [];
  const end = Date.now() + ms;
  while (Date.now() < end) {
    out.push((await broker.stats()).rss / 1e6);
    await sleep(250);
  }
  return out;
}

it("stays up with bounded memory under a QoS 0 and a QoS 1 flood toward a slow wildcard subscriber", async () => {
  const devices = DEVICES.map((d) => ({ ...d, secret: env.secrets[d.username]! }));
  const baseline = (await broker.stats()).rss / 1e6;

  for (const qos of [0, 1] as const) {
    const before = (await broker.stats()).counters;
    const acceptedBefore = before["fl_broker_publishes_total"]!;
    const sub = await slowSubscriber(qos);
    const flood = spawnFlood({ port: broker.ports.mqtt!, qos, seconds: 8, payloadBytes: 1000, devices });
    const early = await sampleRss(4500);
    // the wildcard subscriber leaves mid-flood (the moment plain Aedes overflowed its stack)
    sub.stop();
    sub.c.end(true);
    const late = await sampleRss(2500);
    const second = await slowSubscriber(qos);
    const sent = await flood.done;
    second.stop();
    second.c.end(true);
    const stats = await broker.stats();
    expect(stats.health.ok).toBe(true);
    const accepted = stats.counters["fl_broker_publishes_total"]! - acceptedBefore;
    const peak = Math.max(...early, ...late);
    console.log(
      `flood qos ${qos}: generator sent ${sent}, broker accepted ${accepted}, slow subscriber got ${sub.received()}, rss baseline ${baseline.toFixed(0)} MB, ` +
        `peak ${peak.toFixed(0)} MB, drops ${stats.counters["fl_broker_slow_subscriber_drops_total"]! - before["fl_broker_slow_subscriber_drops_total"]!}`,
    );
    // bounded: the peak stays far below what buffering the whole flood would take
    // (sent x 1 kB payload, several hundred MB), and does not keep climbing
    expect(peak).toBeLessThan(baseline + 350);
    expect(Math.max(...late)).toBeLessThan(Math.max(...early) * 1.6 + 50);
    const drops = stats.counters["fl_broker_slow_subscriber_drops_total"]! - before["fl_broker_slow_subscriber_drops_total"]!;
    // QoS 0 toward a subscriber that is behind is dropped and counted, not buffered;
    // QoS 1 is never dropped: the publishers wait for the subscriber instead
    if (qos === 0) expect(drops).toBeGreaterThan(0);
    else expect(drops).toBe(0);
    expect(sub.received()).toBeGreaterThan(0);
  }
  expect(broker.child.exitCode).toBeNull();
}, 60_000);
