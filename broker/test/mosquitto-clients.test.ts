/**
 * Debian's mosquitto_pub / mosquitto_sub against the broker: authentication, TLS with a CA
 * made at test time (server and client certificates), and ACL denials.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { topicFilter, topics } from "@fieldline/firmware-contracts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Broker } from "../src/broker.ts";
import { makeEnv, metric, sleep, startBroker, type TestEnv } from "./helpers.ts";
import { makePki, type TestPki } from "./tls-fixtures.ts";

const run = promisify(execFile);
const A = { site: "site1", device: "dev-a" };

let env: TestEnv;
let pki: TestPki;
let broker: Broker;

beforeAll(async () => {
  env = await makeEnv();
  pki = await makePki(env.dir);
  broker = await startBroker(env, {
    listeners: {
      mqtt: { port: 0 },
      mqtts: { port: 0, cert: pki.serverCert, key: pki.serverKey, ca: pki.ca, clientCertificates: "optional" },
    },
  });
});
afterAll(async () => {
  await broker?.stop();
  await env?.cleanup();
});

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

async function tool(name: "mosquitto_pub" | "mosquitto_sub", args: string[]): Promise<Result> {
  try {
    const { stdout, stderr } = await run(name, args, { timeout: 15_000 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof err.code === "number" ? err.code : -1, stdout: err.stdout ?? "", stderr: err.stderr ?? "" };
  }
}

const plain = () => ["-h", "127.0.0.1", "-p", String(broker.ports.mqtt), "-V", "mqttv311"];
const tls = () => ["-h", "localhost", "-p", String(broker.ports.mqtts), "-V", "mqttv311", "--cafile", pki.ca];
const as = (user: string, clientId = user) => ["-u", user, "-P", env.secrets[user]!, "-i", clientId];

/** Starts mosquitto_sub for one message, waits until it is subscribed, runs `then`, returns what it printed. */
async function subscribeOnce(args: string[], then: () => Promise<unknown>): Promise<Result> {
  const before = await metric(broker, "fl_broker_connects_total", { result: "ok" });
  const sub = tool("mosquitto_sub", [...args, "-C", "1", "-W", "10", "-v"]);
  for (let i = 0; i < 100 && (await metric(broker, "fl_broker_connects_total", { result: "ok" })) === before; i++) await sleep(20);
  await sleep(150); // SUBSCRIBE follows CONNACK
  await then();
  return sub;
}

describe("mosquitto clients", () => {
  it("publishes and subscribes with username and password over TCP", async () => {
    const sub = await subscribeOnce([...plain(), ...as("processor"), "-t", topicFilter("telemetry"), "-q", "1"], () =>
      tool("mosquitto_pub", [...plain(), ...as("dev-a"), "-t", topics.telemetry(A), "-m", "hello", "-q", "1"]),
    );
    expect(sub.code).toBe(0);
    expect(sub.stdout.trim()).toBe(`${topics.telemetry(A)} hello`);
  });

  it("is refused with a wrong password", async () => {
    const r = await tool("mosquitto_pub", [...plain(), "-u", "dev-b", "-P", "wrong", "-i", "dev-b", "-t", topics.telemetry(A), "-m", "x"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/bad user name or password/i);
  });

  it("works over TLS verified against the test CA", async () => {
    const sub = await subscribeOnce([...tls(), ...as("alice"), "-t", topicFilter("state"), "-q", "1"], () =>
      tool("mosquitto_pub", [...tls(), ...as("dev-a"), "-t", topics.state(A), "-m", "online", "-q", "1"]),
    );
    expect(sub.stdout.trim()).toBe(`${topics.state(A)} online`);
  });

  it("authenticates a device by its client certificate alone, and refuses a certificate naming someone else", async () => {
    const cert = await pki.client("dev-a");
    const withCert = [...tls(), "--cert", cert.cert, "--key", cert.key];
    const sub = await subscribeOnce([...plain(), ...as("processor"), "-t", topicFilter("events"), "-q", "1"], () =>
      tool("mosquitto_pub", [...withCert, "-u", "dev-a", "-i", "dev-a", "-t", topics.events(A), "-m", "by-cert", "-q", "1"]),
    );
    expect(sub.stdout.trim()).toBe(`${topics.events(A)} by-cert`);
    const impostor = await tool("mosquitto_pub", [...withCert, ...as("dev-b"), "-t", topics.events(A), "-m", "x"]);
    expect(impostor.code).not.toBe(0);
    expect(impostor.stderr).toMatch(/not authori[sz]ed/i);
  });

  it("refuses a subscription outside the ACL (SUBACK 0x80)", async () => {
    const r = await tool("mosquitto_sub", [...plain(), ...as("dev-a"), "-t", topicFilter("telemetry"), "-C", "1", "-W", "3", "-d"]);
    expect(r.stdout).toContain("Subscribed (mid: 1): 128");
    expect(r.stderr).toContain("All subscription requests were denied.");
  });

  it("acknowledges but drops a publish outside the ACL, and counts it", async () => {
    const before = await metric(broker, "fl_broker_publish_denied_total", { reason: "acl" });
    const r = await tool("mosquitto_pub", [...plain(), ...as("dev-a"), "-t", topics.telemetry({ site: "site1", device: "dev-b" }), "-m", "spoof", "-q", "1"]);
    expect(r.code).toBe(0); // PUBACK came back (MQTT-3.3.5-2)
    expect(await metric(broker, "fl_broker_publish_denied_total", { reason: "acl" })).toBe(before + 1);
  });
});
