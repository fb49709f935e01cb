/**
 * The README's example config logs in to the real Fieldline broker (registry, TLS listener,
 * certificates made by openssl for this run) with only its paths and address changed: the
 * default client id is the device id, as the broker requires. A refused login is logged with
 * its CONNACK code and shows on /healthz as a degraded uplink.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { parse, stringify } from "yaml";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Broker, FileRegistryStore, Registry, parseConfig as parseBrokerConfig } from "@fieldline/broker";
import { Agent, type AgentHealth } from "../src/agent/agent";
import { parseConfig } from "../src/config/load";
import { until } from "./helpers/observer";
import { PushSource } from "./helpers/push-source";

const dir = mkdtempSync(join(tmpdir(), "fl-readme-"));
const f = (n: string) => join(dir, n);
let broker: Broker;
let agent: Agent | undefined;

function openssl(...args: string[]) {
  execFileSync("openssl", args, { cwd: dir, stdio: "ignore" });
}

/** The first ```yaml block of the README's "Configuration" section. */
function readmeExample(): Record<string, unknown> {
  const readme = readFileSync(join(import.meta.dirname, "../README.md"), "utf8");
  const section = readme.slice(readme.indexOf("## Configuration"));
  const m = /```yaml\n([\s\S]*?)```/.exec(section);
  if (!m) throw new Error("no yaml example in the README's Configuration section");
  return parse(m[1]!) as Record<string, unknown>;
}

beforeAll(async () => {
  openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "1", "-subj", "/CN=fieldline-test-ca");
  openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1");
  writeFileSync(f("server.ext"), "subjectAltName=IP:127.0.0.1\n");
  openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem", "-days", "1", "-extfile", "server.ext");
  const registry = new Registry(new FileRegistryStore(f("registry.json")), { scrypt: { N: 1024, r: 8, p: 1 } });
  const { secret } = await registry.add({ username: "pump3", role: "device", site: "plant1", device: "pump3" });
  writeFileSync(f("mqtt-password"), `${secret}\n`);
  writeFileSync(f("wrong-password"), "not-the-secret\n");
  writeFileSync(f("rules.yaml"), "rules:\n  - id: overpressure\n    when: { threshold: { sensor: bar, above: 8 } }\n    actions: [ { gpio: { line: PUMP, value: 0, latch: true } } ]\n");
  broker = new Broker(
    parseBrokerConfig({
      listeners: { mqtts: { port: 0, cert: f("server.pem"), key: f("server.key") } },
      registry: { file: f("registry.json") },
    }),
    { log: pino({ level: "silent" }), processMetrics: false },
  );
  await broker.start();
});
afterEach(async () => {
  await agent?.stop(500);
  agent = undefined;
});
afterAll(async () => {
  await broker.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** The README example with this machine's paths: broker address, files, GPIO, data dir. */
function exampleConfig(passwordFile: string) {
  const ex = readmeExample() as {
    broker: Record<string, unknown>;
    gpio: { chip: unknown };
    rules: Record<string, unknown>;
    [k: string]: unknown;
  };
  const url = new URL(ex.broker.url as string);
  expect(url.protocol).toBe("mqtts:");
  ex.broker.url = `mqtts://127.0.0.1:${broker.ports.mqtts}`;
  ex.broker.passwordFile = passwordFile;
  ex.broker.ca = f("ca.pem");
  ex.broker.reconnect = { initialMs: 50, maxMs: 200 };
  ex.broker.release = "puback"; // no processor here to confirm stored telemetry
  ex.inputs = []; // no UART here; readings are pushed by the test
  ex.gpio.chip = { type: "sim", socket: f(`gpio-${Math.random().toString(16).slice(2)}.sock`) };
  ex.rules.file = f("rules.yaml");
  ex.dataDir = mkdtempSync(join(dir, "data-"));
  ex.http = { listen: "127.0.0.1:0" };
  return parseConfig(stringify(ex), "README example");
}

function capture() {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: "info" }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
  return { lines, logger };
}

describe("the README example config", () => {
  it("logs in to the Fieldline broker with its default client id (the device id)", async () => {
    const cfg = exampleConfig(f("mqtt-password"));
    expect(cfg.broker.clientId).toBeUndefined();
    const { lines, logger } = capture();
    const source = new PushSource();
    agent = new Agent(cfg, { logger, sources: [source] });
    await agent.start();
    await until(() => agent!.health().mqtt === "up", 10_000, "logged in");
    const h = (await (await fetch(`http://127.0.0.1:${agent.httpPort}/healthz`)).json()) as AgentHealth;
    expect(h.uplink).toMatchObject({ state: "up", clientId: "pump3", failedAttempts: 0 });
    expect(h.status).toBe("ok");
    source.push({ sensor: "bar", t: Date.now(), value: 9 });
    await until(() => agent!.outbox.stats().depth === 0, 5000, "published and acked");
    expect(lines.some((l) => l.msg === "mqtt connected")).toBe(true);
  });

  it("a refused login is logged with its CONNACK code and shown on /healthz", async () => {
    const cfg = exampleConfig(f("wrong-password"));
    const { lines, logger } = capture();
    agent = new Agent(cfg, { logger, sources: [new PushSource()] });
    await agent.start();
    await until(() => lines.some((l) => l.msg === "mqtt login refused by the broker"), 10_000, "refusal logged");
    const logged = lines.find((l) => l.msg === "mqtt login refused by the broker")!;
    expect(logged).toMatchObject({ level: 50, connackCode: 4, clientId: "pump3" });
    const res = await fetch(`http://127.0.0.1:${agent.httpPort}/healthz`);
    expect(res.status).toBe(200);
    const h = (await res.json()) as AgentHealth;
    expect(h.status).toBe("degraded");
    expect(h.uplink).toMatchObject({ state: "down", lastErrorCode: 4 });
    expect(h.uplink!.failedAttempts).toBeGreaterThan(0);
    expect(h.problems.join()).toMatch(/uplink: .*Bad username or password/i);
    const metrics = await (await fetch(`http://127.0.0.1:${agent.httpPort}/metrics`)).text();
    expect(metrics).toMatch(/fieldline_edge_mqtt_connect_failures_total\{code="4"\} [1-9]/);
  });
});
