/**
 * The uplink over TLS with mutual certificates and username/password, against a real Aedes
 * broker on a TLS listener (certificates made by openssl for this run).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:tls";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Aedes } from "aedes";
import { pino } from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { decodePayload, parseTopic } from "@fieldline/firmware-contracts";
import { Agent } from "../src/agent/agent";
import { parseConfig } from "../src/config/load";
import { until } from "./helpers/observer";
import { PushSource } from "./helpers/push-source";

const dir = mkdtempSync(join(tmpdir(), "fl-tls-"));
const f = (n: string) => join(dir, n);
let server: Server;
let broker: Aedes;
let port = 0;
const published: { kind: string; value: Record<string, unknown> }[] = [];
const logins: { user?: string; ok: boolean }[] = [];
let agent: Agent | undefined;

function openssl(...args: string[]) {
  execFileSync("openssl", args, { cwd: dir, stdio: "ignore" });
}

function cert(name: string, cn: string, ext?: string) {
  openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${cn}`);
  const extArgs = ext ? (writeFileSync(f(`${name}.ext`), ext), ["-extfile", `${name}.ext`]) : [];
  openssl("x509", "-req", "-in", `${name}.csr`, "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", `${name}.pem`, "-days", "1", ...extArgs);
}

beforeAll(async () => {
  openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "1", "-subj", "/CN=fieldline-test-ca");
  cert("server", "127.0.0.1", "subjectAltName=IP:127.0.0.1\n");
  cert("client", "pump3");
  writeFileSync(f("password"), "s3cret\n");
  broker = await Aedes.createBroker({
    authenticate: (_client, user, pass, done) => {
      const ok = user === "pump3" && pass?.toString() === "s3cret";
      logins.push({ user, ok });
      if (ok) return done(null, true);
      const err = Object.assign(new Error("bad credentials"), { returnCode: 4 as const });
      done(err, false);
    },
  });
  broker.on("publish", (packet) => {
    const t = parseTopic(packet.topic);
    if (!t) return;
    const r = decodePayload(t.kind, packet.payload as Buffer);
    if (r.ok) published.push({ kind: t.kind, value: r.value as Record<string, unknown> });
  });
  server = createServer(
    { key: readFileSync(f("server.key")), cert: readFileSync(f("server.pem")), ca: readFileSync(f("ca.pem")), requestCert: true, rejectUnauthorized: true },
    (s) => broker.handle(s),
  );
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  port = (server.address() as AddressInfo).port;
});

afterEach(async () => {
  await agent?.stop(500);
  agent = undefined;
});

afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  await new Promise<void>((r) => broker.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

function start(password: string) {
  const dataDir = mkdtempSync(join(dir, "data-"));
  writeFileSync(join(dataDir, "pw"), password);
  const cfg = parseConfig(`
device: { site: plant1, id: pump3 }
broker:
  url: "mqtts://127.0.0.1:${port}"
  username: pump3
  passwordFile: "${join(dataDir, "pw")}"
  ca: "${f("ca.pem")}"
  cert: "${f("client.pem")}"
  key: "${f("client.key")}"
  reconnect: { initialMs: 20, maxMs: 50 }
dataDir: "${dataDir}"
http: { listen: null }
telemetry: { lingerMs: 0 }
`);
  const source = new PushSource();
  agent = new Agent(cfg, { logger: pino({ level: "silent" }), sources: [source] });
  return { agent, source };
}

describe("uplink over TLS", () => {
  it("connects with mutual TLS and username/password file, publishes state and telemetry", async () => {
    const { agent, source } = start("s3cret\n");
    await agent.start();
    await until(() => agent.health().mqtt === "up", 10_000, "TLS session");
    source.push({ sensor: "flow", t: Date.now(), value: 4.5 });
    await until(() => published.some((p) => p.kind === "telemetry" && p.value.boot === agent.envelope.boot), 5000, "telemetry");
    expect(published.find((p) => p.kind === "state" && p.value.boot === agent.envelope.boot)?.value.status).toBe("online");
  });

  it("keeps retrying with bad credentials, never crashes, and keeps the readings in the outbox", async () => {
    const before = logins.filter((l) => !l.ok).length;
    const { agent, source } = start("wrong");
    await agent.start();
    source.push({ sensor: "flow", t: Date.now(), value: 1 });
    await until(() => logins.filter((l) => !l.ok).length >= before + 3, 10_000, "three refused attempts");
    expect(agent.health().mqtt).toBe("down");
    expect(agent.outbox.stats().depth).toBeGreaterThan(0);
  });
});
