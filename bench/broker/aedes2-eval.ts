/**
 * Runs Fieldline's Broker, hooks unchanged, on another Aedes build (e.g. 2.0.0-beta.1 with
 * MQTT 5) and reports what MQTT 3.1.1 and MQTT 5 clients see. Install that Aedes outside the
 * repo first:
 *
 *   mkdir -p /tmp/aedes5 && (cd /tmp/aedes5 && npm init -y && npm i aedes@2.0.0-beta.1)
 *   npx tsx bench/broker/aedes2-eval.ts /tmp/aedes5/node_modules/aedes/aedes.js
 */
import mqtt from "mqtt";
import { pino } from "pino";
import { topicFilter, topics } from "@fieldline/firmware-contracts";
import { Broker, parseConfig } from "../../broker/src/index.ts";
import { makeEnv, metric } from "../../broker/test/helpers.ts";

const modulePath = process.argv[2];
if (!modulePath) throw new Error("usage: aedes2-eval.ts /path/to/aedes/aedes.js");
const { Aedes } = (await import(modulePath)) as { Aedes: { createBroker(o: unknown): Promise<unknown> } };

const A = { site: "site1", device: "dev-a" };
const env = await makeEnv();
const broker = new Broker(parseConfig({ listeners: { mqtt: { port: 0 } }, registry: { file: env.registryFile } }), {
  log: pino({ level: "silent" }),
  processMetrics: false,
  createAedes: (o) => Aedes.createBroker(o) as never,
});
await broker.start();
const port = broker.ports.mqtt!;

function open(protocolVersion: 4 | 5, o: mqtt.IClientOptions) {
  return new Promise<{ c: mqtt.MqttClient; code: number }>((resolve) => {
    const c = mqtt.connect({ host: "127.0.0.1", port, protocolVersion, reconnectPeriod: 0, ...o });
    c.once("connect", () => resolve({ c, code: 0 }));
    c.once("error", (e) => {
      c.end(true);
      resolve({ c, code: (e as { code?: number }).code ?? -1 });
    });
  });
}

const report: Record<string, unknown> = { aedes: (broker.aedes as unknown as { version: string }).version };
for (const v of [4, 5] as const) {
  const r: Record<string, unknown> = {};
  const proc = { username: "processor", password: env.secrets["processor"] };
  r.goodLogin = (await open(v, { ...proc, clientId: `p${v}` })).code;
  if (r.goodLogin !== 0) {
    report[v === 4 ? "mqtt 3.1.1" : "mqtt 5"] = r; // e.g. aedes 1.x refuses protocol level 5 (return code 1)
    continue;
  }
  r.badLogin = (await open(v, { ...proc, password: "x", clientId: `p${v}b` })).code;
  r.deviceWrongClientId = (await open(v, { username: "dev-a", password: env.secrets["dev-a"], clientId: "dev-b" })).code;
  const sub = (await open(v, { ...proc, clientId: `proc${v}` })).c;
  const got: string[] = [];
  sub.on("message", (_t, p) => got.push(p.toString()));
  await sub.subscribeAsync(topicFilter("telemetry"), { qos: 1 });
  const dev = (await open(v, { username: "dev-a", password: env.secrets["dev-a"], clientId: "dev-a" })).c;
  try {
    await dev.subscribeAsync(topicFilter("telemetry"), { qos: 1 });
    r.deniedSubscribe = "granted";
  } catch (e) {
    r.deniedSubscribe = (e as { packet?: { granted?: number[] } }).packet?.granted;
  }
  const before = await metric(broker, "fl_broker_publish_denied_total");
  try {
    await dev.publishAsync(topics.telemetry({ site: "site1", device: "dev-b" }), "spoof", { qos: 1 });
    r.deniedPublish = "acknowledged";
  } catch (e) {
    r.deniedPublish = (e as Error).message;
  }
  await dev.publishAsync(topics.telemetry(A), `ok-v${v}`, { qos: 1 });
  await new Promise((res) => setTimeout(res, 200));
  r.deniedPublishCounted = (await metric(broker, "fl_broker_publish_denied_total")) - before;
  r.delivered = got;
  r.deviceStillConnected = dev.connected;
  await dev.endAsync();
  await sub.endAsync();
  report[v === 4 ? "mqtt 3.1.1" : "mqtt 5"] = r;
}
process.stdout.write(JSON.stringify(report, null, 2) + "\n");
await broker.stop();
await env.cleanup();
