/**
 * The operator API's access control, on a real server on a random loopback port: every route
 * x every role x no, malformed, wrong-secret and revoked credentials (the expected table is
 * written out by hand, like broker/test/acl.test.ts), audit lines, revocation and new tokens
 * while running, the token cache, HTTPS, the token CLI, and the processor's own wiring.
 */
import { execFile, spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { HttpApi } from "../../src/api/http.ts";
import { runTokenCli } from "../../src/auth/token-cli.ts";
import { verifySecret as verifyTokenHash } from "@fieldline/broker";
import type { TokenStore } from "../../src/auth/token-store.ts";
import { parseConfig } from "../../src/config.ts";
import { Processor } from "../../src/processor.ts";
import { ALERT, bearer, fakeBackend, raw, startApi } from "../helpers/api.ts";
import { testConfig, waitFor } from "../helpers/fleet.ts";
import { freePort, tempDir } from "../helpers/servers.ts";

type Cred = "operator" | "node-red" | "viewer";
const ROUTES = [
  { name: "GET /alerts", method: "GET", path: "/alerts" },
  { name: "POST /alerts/:id/ack", method: "POST", path: `/alerts/${encodeURIComponent(ALERT.id)}/ack`, body: "" },
  { name: "GET /rules", method: "GET", path: "/rules" },
  { name: "POST /rules/validate", method: "POST", path: "/rules/validate", body: "rules: []\n" },
  { name: "PUT /rules", method: "PUT", path: "/rules", body: "rules: []\n" },
  { name: "POST /rules", method: "POST", path: "/rules", body: "rules: []\n" },
  { name: "GET /metrics", method: "GET", path: "/metrics" },
  { name: "GET /healthz", method: "GET", path: "/healthz" },
] as const;

// Status by route and role; the role table of cloud-processor/README.md "Operator API".
const EXPECTED: Record<(typeof ROUTES)[number]["name"], Record<Cred, number>> = {
  "GET /alerts": { operator: 200, "node-red": 200, viewer: 200 },
  "POST /alerts/:id/ack": { operator: 200, "node-red": 200, viewer: 403 },
  "GET /rules": { operator: 200, "node-red": 200, viewer: 200 },
  "POST /rules/validate": { operator: 200, "node-red": 403, viewer: 403 },
  "PUT /rules": { operator: 200, "node-red": 403, viewer: 403 },
  "POST /rules": { operator: 200, "node-red": 403, viewer: 403 },
  "GET /metrics": { operator: 200, "node-red": 403, viewer: 200 },
  "GET /healthz": { operator: 200, "node-red": 200, viewer: 200 },
};
// What the backend must have been asked for a permitted request of each route.
const BACKEND_CALL: Record<(typeof ROUTES)[number]["name"], string | undefined> = {
  "GET /alerts": "alerts",
  "POST /alerts/:id/ack": `ack ${ALERT.id}`,
  "GET /rules": "rules",
  "POST /rules/validate": "validate",
  "PUT /rules": "apply",
  "POST /rules": "apply",
  "GET /metrics": undefined,
  "GET /healthz": undefined,
};

describe("operator API access control", () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let api: HttpApi;
  let tokens: TokenStore;
  let fake: ReturnType<typeof fakeBackend>;
  const tok: Record<string, string> = {};

  beforeEach(async () => {
    dir = await tempDir();
    fake = fakeBackend();
    ({ api, tokens } = await startApi(dir.path, fake.backend));
    tok.operator = (await tokens.add("ops-alice", "operator")).token;
    tok["node-red"] = (await tokens.add("node-red", "node-red")).token;
    tok.viewer = (await tokens.add("grafana", "viewer")).token;
    tok.revoked = (await tokens.add("old-laptop", "operator")).token;
    await tokens.revoke("old-laptop");
  });

  afterEach(async () => {
    await api.stop();
    await dir.remove();
  });

  it("every route x every role x no / malformed / wrong-secret / revoked credential", async () => {
    // The operator token's id with another secret: the record exists, the secret is wrong.
    const wrongSecret = tok.operator!.slice(0, 21) + "A".repeat(43);
    const bad: Record<string, Record<string, string>> = {
      none: {},
      "not bearer": { authorization: `Basic ${Buffer.from("ops-alice:x").toString("base64")}` },
      malformed: bearer("not-a-token"),
      "wrong secret": bearer(wrongSecret),
      "unknown id": bearer("flp_0123456789abcdef_" + "B".repeat(43)),
      revoked: bearer(tok.revoked!),
    };
    let checked = 0;
    for (const r of ROUTES) {
      for (const [what, headers] of Object.entries(bad)) {
        fake.calls.length = 0;
        const res = await raw(api.url, { method: r.method, path: r.path, headers, body: "body" in r ? r.body : undefined });
        if (r.name === "GET /healthz") expect(res.status, `${r.name} ${what}`).toBe(200);
        else {
          expect(res.status, `${r.name} ${what}`).toBe(401);
          expect(res.headers["www-authenticate"], `${r.name} ${what}`).toMatch(/^Bearer realm="fieldline"/);
          expect(fake.calls, `${r.name} ${what} reached the backend`).toEqual([]);
        }
        checked++;
      }
      for (const role of ["operator", "node-red", "viewer"] as const) {
        fake.calls.length = 0;
        const res = await raw(api.url, { method: r.method, path: r.path, headers: bearer(tok[role]!), body: "body" in r ? r.body : undefined });
        expect(res.status, `${r.name} as ${role}: ${res.body}`).toBe(EXPECTED[r.name][role]);
        const call = BACKEND_CALL[r.name];
        if (res.status === 403) expect(fake.calls, `${r.name} as ${role} reached the backend`).toEqual([]);
        else if (call) expect(fake.calls.join("\n"), `${r.name} as ${role}`).toContain(call);
        checked++;
      }
    }
    expect(checked).toBe(ROUTES.length * 9);
  });

  it("unknown paths and wrong methods need a token too, then give 404 and 405 with Allow", async () => {
    expect((await raw(api.url, { path: "/admin" })).status).toBe(401);
    expect((await raw(api.url, { method: "DELETE", path: "/rules" })).status).toBe(401);
    expect((await raw(api.url, { path: "/admin", headers: bearer(tok.viewer!) })).status).toBe(404);
    const del = await raw(api.url, { method: "DELETE", path: "/rules", headers: bearer(tok.viewer!) });
    expect(del.status).toBe(405);
    expect(del.headers.allow).toBe("GET, PUT, POST");
  });

  it("audits every change with who, what and when; acknowledgements default to the token's name", async () => {
    const before = Date.now();
    expect((await raw(api.url, { method: "PUT", path: "/rules", headers: bearer(tok.operator!), body: "rules: []\n" })).status).toBe(200);
    expect((await raw(api.url, { method: "PUT", path: "/rules", headers: bearer(tok.operator!), body: "bad" })).status).toBe(400);
    const path = `/alerts/${encodeURIComponent(ALERT.id)}/ack`;
    expect((await raw(api.url, { method: "POST", path, headers: bearer(tok["node-red"]!) })).status).toBe(200);
    expect((await raw(api.url, { method: "POST", path, headers: bearer(tok["node-red"]!), body: '{"by":"dashboard"}' })).status).toBe(200);
    expect(fake.calls).toContain(`ack ${ALERT.id} node-red`);
    const lines = (await readFile(join(dir.path, "audit.jsonl"), "utf8")).trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map(({ at: _at, ...rest }) => rest)).toEqual([
      { who: "ops-alice", role: "operator", action: "rules.applied", version: 1 },
      { who: "node-red", role: "node-red", action: "alert.acknowledged", alert: ALERT.id, by: "node-red" },
      { who: "node-red", role: "node-red", action: "alert.acknowledged", alert: ALERT.id, by: "dashboard" },
    ]);
    for (const l of lines) expect(Date.parse(l.at as string)).toBeGreaterThanOrEqual(before - 1000);
  });

  it("a token revoked or added while the API runs takes effect at the next request", async () => {
    expect((await raw(api.url, { path: "/alerts", headers: bearer(tok.viewer!) })).status).toBe(200);
    const io = { out: () => {}, err: () => {} };
    expect(await runTokenCli(["revoke", "grafana", "--data-dir", dir.path], io)).toBe(0);
    expect((await raw(api.url, { path: "/alerts", headers: bearer(tok.viewer!) })).status).toBe(401);
    let printed = "";
    expect(await runTokenCli(["add", "grafana", "--role", "viewer", "--data-dir", dir.path], { out: (s) => (printed += s), err: () => {} })).toBe(0);
    expect((await raw(api.url, { path: "/alerts", headers: bearer(printed.trim()) })).status).toBe(200);
    const audit = await readFile(join(dir.path, "audit.jsonl"), "utf8");
    expect(audit).toMatch(/"action":"token.revoked","name":"grafana"/);
    expect(audit).toMatch(/"action":"token.added","name":"grafana","tokenRole":"viewer"/);
  });
});

describe("token verification cost", () => {
  it("runs scrypt once per token; later requests, right or wrong, cost an HMAC", async () => {
    const dir = await tempDir();
    let scrypts = 0;
    const verifyHash = (t: string, h: string) => (scrypts++, verifyTokenHash(t, h));
    const { api, tokens } = await startApi(dir.path, fakeBackend().backend, {}, { verifyHash });
    const { token } = await tokens.add("ops", "operator");
    for (let i = 0; i < 20; i++) expect((await raw(api.url, { path: "/alerts", headers: bearer(token) })).status).toBe(200);
    expect((await raw(api.url, { path: "/alerts", headers: bearer(token.slice(0, 21) + "C".repeat(43)) })).status).toBe(401);
    expect(scrypts).toBe(1);
    await api.stop();
    await dir.remove();
  });

  it("answers 429, not a queue of scrypt runs, past maxPendingScrypt", async () => {
    const dir = await tempDir();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const verifyHash = async (t: string, h: string) => (await gate, verifyTokenHash(t, h));
    const { api, tokens } = await startApi(dir.path, fakeBackend().backend, {}, { verifyHash, maxPendingScrypt: 1 });
    const a = (await tokens.add("a", "viewer")).token;
    const b = (await tokens.add("b", "viewer")).token;
    const first = raw(api.url, { path: "/alerts", headers: bearer(a) });
    await new Promise((r) => setTimeout(r, 50));
    const busy = await raw(api.url, { path: "/alerts", headers: bearer(b) });
    expect(busy.status).toBe(429);
    expect(busy.headers["retry-after"]).toBe("1");
    release();
    expect((await first).status).toBe(200);
    expect((await raw(api.url, { path: "/alerts", headers: bearer(b) })).status).toBe(200);
    await api.stop();
    await dir.remove();
  });
});

describe("defaults and options", () => {
  it("with no token added, everything but /healthz is refused", async () => {
    const dir = await tempDir();
    const { api } = await startApi(dir.path, fakeBackend().backend);
    for (const r of ROUTES) {
      const res = await raw(api.url, { method: r.method, path: r.path, body: "body" in r ? r.body : undefined });
      expect(res.status, r.name).toBe(r.name === "GET /healthz" ? 200 : 401);
    }
    await api.stop();
    await dir.remove();
  });

  it("http.auth defaults to tokens; none is refused on a non-loopback host", () => {
    expect(parseConfig({}).http.auth).toBe("tokens");
    expect(parseConfig({}).http.metrics).toBe("token");
    expect(parseConfig({ http: { auth: "none" } }).http.auth).toBe("none");
    expect(() => parseConfig({ http: { host: "0.0.0.0", auth: "none" } })).toThrow(/http\.auth: "none" is allowed only with a loopback host/);
    expect(() => parseConfig({ http: { tls: { cert: "c.pem" } } })).toThrow(/http\.tls\.key/);
  });

  it("http.auth none opens every route (loopback development) and audits as anonymous", async () => {
    const dir = await tempDir();
    const { api } = await startApi(dir.path, fakeBackend().backend, { auth: "none" });
    expect((await raw(api.url, { method: "PUT", path: "/rules", body: "rules: []\n" })).status).toBe(200);
    expect(await readFile(join(dir.path, "audit.jsonl"), "utf8")).toMatch(/"who":"anonymous","role":"operator","action":"rules.applied"/);
    await api.stop();
    await dir.remove();
  });

  it("http.metrics open lets anyone scrape /metrics, and nothing else", async () => {
    const dir = await tempDir();
    const { api } = await startApi(dir.path, fakeBackend().backend, { metrics: "open" });
    expect((await raw(api.url, { path: "/metrics" })).status).toBe(200);
    expect((await raw(api.url, { path: "/alerts" })).status).toBe(401);
    await api.stop();
    await dir.remove();
  });

  it("serves HTTPS with http.tls: tokens checked the same, plain HTTP not answered", async () => {
    const dir = await tempDir();
    const cert = join(dir.path, "api.pem");
    const key = join(dir.path, "api.key");
    await promisify(execFile)("openssl", [
      "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
      "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", key, "-out", cert,
    ]);
    const { api, tokens } = await startApi(dir.path, fakeBackend().backend, { tls: { cert, key } });
    expect(api.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const { token } = await tokens.add("ops", "operator");
    const ca = await readFile(cert, "utf8");
    expect((await raw(api.url, { path: "/alerts", ca })).status).toBe(401);
    const ok = await raw(api.url, { path: "/alerts", headers: bearer(token), ca });
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toEqual([ALERT]);
    // An unknown CA is refused by the client: the certificate is the one configured.
    await expect(raw(api.url, { path: "/healthz" })).rejects.toThrow(/self-signed|certificate/);
    await expect(raw(api.url.replace("https:", "http:"), { path: "/healthz" })).rejects.toThrow();
    await api.stop();
    await dir.remove();
  });
});

describe("the processor and the token CLI", () => {
  it("a processor with default auth refuses anonymous reads and writes; a CLI-made token works within a second", async () => {
    const dir = await tempDir();
    const cfg = testConfig({
      dataDir: dir.path,
      http: { port: 0 },
      mqtt: { url: `mqtt://127.0.0.1:${await freePort()}` },
      sink: { type: "file", path: join(dir.path, "points.lp") },
      detection: { enabled: false },
    });
    expect(cfg.http.auth).toBe("tokens");
    const proc = new Processor(cfg);
    await proc.start();
    try {
      const url = proc.api.url;
      expect((await raw(url, { method: "PUT", path: "/rules", body: "rules: []\n" })).status).toBe(401);
      expect((await raw(url, { path: "/alerts" })).status).toBe(401);
      expect((await raw(url, { path: "/metrics" })).status).toBe(401);
      expect((await raw(url, { path: "/healthz" })).status).toBe(503); // open; MQTT is not connected
      let token = "";
      expect(await runTokenCli(["add", "ops", "--role", "operator", "--data-dir", dir.path], { out: (s) => (token += s), err: () => {} })).toBe(0);
      await waitFor("token accepted", () => raw(url, { path: "/rules", headers: bearer(token.trim()) }).then((r) => r.status), (s) => s === 200, 5000);
      expect((await raw(url, { path: "/metrics", headers: bearer(token.trim()) })).status).toBe(200);
    } finally {
      await proc.stop();
      await dir.remove();
    }
  });

  it("`cloud-processor token` as a process: add prints only the token on stdout, list, revoke, usage errors exit 2", async () => {
    const dir = await tempDir();
    const cli = fileURLToPath(new URL("../../src/cli.ts", import.meta.url));
    const tsx = fileURLToPath(new URL("../../../node_modules/tsx/dist/cli.mjs", import.meta.url));
    const run = (...args: string[]) =>
      new Promise<{ code: number; out: string; err: string }>((resolve) => {
        const child = spawn(process.execPath, [tsx, cli, "token", ...args, "--data-dir", dir.path], { stdio: ["ignore", "pipe", "pipe"] });
        let out = "";
        let err = "";
        child.stdout.on("data", (d: Buffer) => (out += d));
        child.stderr.on("data", (d: Buffer) => (err += d));
        child.on("exit", (code) => resolve({ code: code ?? -1, out, err }));
      });
    const added = await run("add", "ci-bot", "--role", "viewer");
    expect(added.code).toBe(0);
    expect(added.out).toMatch(/^flp_[0-9a-f]{16}_[A-Za-z0-9_-]{43}\n$/);
    expect(added.err).toMatch(/shown once/);
    const file = await readFile(join(dir.path, "api-tokens.json"), "utf8");
    expect(file).not.toContain(added.out.trim().slice(22)); // only the hash is stored
    expect(file).toMatch(/"hash": "scrypt\$16384\$8\$1\$/);
    expect((await run("add", "ci-bot", "--role", "viewer")).code).toBe(1); // one active token per name
    expect((await run("add", "x", "--role", "root")).code).toBe(2);
    const list = await run("list");
    expect(list.out).toMatch(/^name\s+role\s+id\s+created\s+revoked\nci-bot\s+viewer\s+[0-9a-f]{16}\s+\S+\n$/);
    expect((await run("revoke", "ci-bot")).code).toBe(0);
    expect((await run("list")).out).toMatch(/ci-bot\s+viewer\s+[0-9a-f]{16}\s+\S+\s+\d{4}-\d\d-\d\dT/);
    expect((await run("revoke", "ci-bot")).code).toBe(1);
    await dir.remove();
  }, 60_000);
});
