/** The operator API on a random loopback port with a token store in a temp dir, and a raw HTTP client. */
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { join } from "node:path";
import type { Alert } from "@fieldline/firmware-contracts";
import { Registry } from "prom-client";
import { HttpApi, type ApiBackend, type HttpApiOptions } from "../../src/api/http.ts";
import { AuditLog } from "../../src/auth/audit.ts";
import { TokenStore, type TokenStoreOptions } from "../../src/auth/token-store.ts";
import type { ApplyResult } from "../../src/rules-service.ts";

/** Cheap scrypt for tests (the default N=16384 costs ~50 ms a hash). */
export const TEST_SCRYPT = { N: 1024, r: 8, p: 1 };

export const ALERT: Alert = {
  v: 1,
  id: "demo.d1.hot.1700000000000",
  site: "demo",
  device: "d1",
  rule: "hot",
  state: "raised",
  severity: "critical",
  message: "too hot",
  t: 1_700_000_000_000,
  raisedAt: 1_700_000_000_000,
};

/** A backend that records what reached it; acknowledges only ALERT.id. */
export function fakeBackend() {
  const calls: string[] = [];
  let version = 0;
  const ok = (): ApplyResult => ({ ok: true, version, rules: 1 });
  const backend: ApiBackend = {
    alerts: () => (calls.push("alerts"), [ALERT]),
    acknowledge: async (id, by) => (calls.push(`ack ${id} ${by}`), id === ALERT.id ? { ...ALERT, state: "acknowledged" } : undefined),
    rules: () => (calls.push("rules"), { version, yaml: "rules: []\n" }),
    validateRules: (yaml) => (calls.push("validate"), yaml.includes("bad") ? { ok: false, issues: [] } : ok()),
    applyRules: async (yaml) => {
      calls.push("apply");
      if (yaml.includes("bad")) return { ok: false, issues: [] };
      version++;
      return ok();
    },
    health: () => ({ ok: true }),
    registry: new Registry(),
  };
  return { backend, calls };
}

export async function startApi(dir: string, backend: ApiBackend, over: Partial<HttpApiOptions> = {}, store: TokenStoreOptions = {}) {
  const tokens = new TokenStore(join(dir, "api-tokens.json"), { scrypt: TEST_SCRYPT, reloadIntervalMs: 0, ...store });
  const audit = new AuditLog(join(dir, "audit.jsonl"));
  const api = new HttpApi(backend, { host: "127.0.0.1", port: 0, auth: "tokens", tokens, audit, ...over });
  await api.start();
  return { api, tokens, audit };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request with exactly these method, path, headers and body (fetch would normalise them). */
export function raw(
  url: string,
  o: { method?: string; path?: string; headers?: Record<string, string>; body?: string | Buffer; ca?: string },
): Promise<RawResponse> {
  const u = new URL(url);
  const request = u.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      { host: u.hostname, port: u.port, method: o.method ?? "GET", path: o.path ?? "/", headers: o.headers, ca: o.ca, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(o.body);
  });
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
