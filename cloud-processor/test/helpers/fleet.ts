/** Test-side publishing and waiting helpers. */
import { encodePayload, topics, type Telemetry } from "@fieldline/firmware-contracts";
import mqtt, { type MqttClient } from "mqtt";
import { pino } from "pino";
import { parseConfig, type Config } from "../../src/config.ts";

export const T0 = 1_700_000_000_000;

export function telemetry(device: string, boot: string, seq: number, n = 10, value: (i: number) => number = (i) => 20 + i / 10): Telemetry {
  return {
    v: 1,
    device,
    boot,
    seq,
    readings: Array.from({ length: n }, (_, i) => ({ sensor: "temp", t: T0 + seq * 1000 * n + i * 1000, value: value(seq * n + i) })),
  };
}

export async function connect(url: string, clientId?: string): Promise<MqttClient> {
  return mqtt.connectAsync(url, { clientId: clientId ?? `t-${Math.random().toString(16).slice(2)}`, reconnectPeriod: 100 });
}

export async function publishTelemetry(c: MqttClient, site: string, msg: Telemetry): Promise<void> {
  await c.publishAsync(topics.telemetry({ site, device: msg.device }), Buffer.from(encodePayload("telemetry", msg)), { qos: 1 });
}

export async function waitFor<T>(what: string, fn: () => Promise<T> | T, ok: (v: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    try {
      last = await fn();
      if (ok(last)) return last;
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function testConfig(over: Record<string, unknown>): Config {
  return parseConfig({
    // Tests of the pipeline read the API without tokens; test/integration/api-auth.test.ts covers auth.
    http: { port: 0, auth: "none" },
    log: { level: process.env.FL_TEST_LOG ?? "silent" },
    writer: { retryInitialMs: 50, retryMaxMs: 200 },
    alerts: { clearHoldMs: 0, tickMs: 50 },
    ...over,
  });
}

export const silent = pino({ level: "silent" });

export async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let sum = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith(name + " ") || line.startsWith(name + "{")) sum += Number(line.split(" ").pop());
  }
  return sum;
}
