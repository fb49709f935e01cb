/**
 * Operator HTTP API (node:http, or node:https when http.tls is set). Every route but
 * /healthz needs a bearer token whose role grants the route's permission (auth/roles.ts):
 *   GET  /alerts                     alerts:read      active alerts
 *   POST /alerts/:id/ack {"by": ".."} alerts:ack       acknowledge one (404 if not active)
 *   GET  /rules                      rules:read       {version, yaml}
 *   POST /rules/validate  (YAML)     rules:validate   {ok, rules} or 400 {ok: false, issues}
 *   PUT  /rules           (YAML)     rules:write      validate, apply and push to devices as desired config
 *   GET  /metrics                    metrics:read     Prometheus text (open with http.metrics: open)
 *   GET  /healthz                    (open)           200 when MQTT is connected and the sink is writing, else 503
 * No or a bad token: 401; a role without the permission: 403. Changes are audited.
 */
import { readFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createTlsServer } from "node:https";
import type { AddressInfo } from "node:net";
import type { Alert } from "@fieldline/firmware-contracts";
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import type { AuditLog } from "../auth/audit.ts";
import { may, type Permission, type Role } from "../auth/roles.ts";
import type { Verdict } from "../auth/token-store.ts";
import type { ApplyResult } from "../rules-service.ts";

export interface ApiBackend {
  alerts(): Alert[];
  acknowledge(id: string, by: string): Promise<Alert | undefined>;
  rules(): { version: number; yaml: string };
  validateRules(yaml: string): ApplyResult;
  applyRules(yaml: string): Promise<ApplyResult>;
  health(): { ok: boolean } & Record<string, unknown>;
  registry: Registry;
}

/** What checks tokens (auth/token-store.ts's TokenStore). */
export interface TokenVerifier {
  load(): Promise<void>;
  verify(token: string): Promise<Verdict>;
  readonly active: number;
}

export interface HttpApiOptions {
  host: string;
  port: number;
  /** tokens: every route but /healthz needs a token; none: no checks (loopback only, development). */
  auth: "tokens" | "none";
  tokens?: TokenVerifier;
  /** token: /metrics needs metrics:read; open: anyone may scrape it. */
  metrics?: "token" | "open";
  /** PEM files: serve HTTPS. */
  tls?: { cert: string; key: string };
  audit?: AuditLog;
  log?: Logger;
}

interface Caller {
  name: string;
  role: Role;
}

type Handler = (req: IncomingMessage, res: ServerResponse, who: Caller, params: string[]) => Promise<void> | void;

interface Route {
  method: string;
  path: RegExp;
  /** undefined: open to anyone. */
  permission: Permission | undefined;
  handle: Handler;
}

const MAX_BODY = 1024 * 1024;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export class HttpApi {
  private server: Server | undefined;
  private scheme = "http";
  private readonly routes: Route[];

  constructor(
    private readonly backend: ApiBackend,
    private readonly opts: HttpApiOptions,
  ) {
    if (opts.auth === "tokens" && !opts.tokens) throw new Error("http.auth: tokens needs a token store");
    this.routes = this.table();
  }

  get address(): AddressInfo {
    const a = this.server?.address();
    if (!a || typeof a === "string") throw new Error("HTTP API is not listening");
    return a;
  }

  get url(): string {
    const { address, family, port } = this.address;
    return `${this.scheme}://${family === "IPv6" ? `[${address}]` : address}:${port}`;
  }

  async start(): Promise<void> {
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      this.handle(req, res).catch((err: unknown) => {
        this.opts.log?.error({ err: (err as Error).message, method: req.method, url: req.url }, "operator API request failed");
        if (!res.headersSent) send(res, 500, { error: "internal error" });
        else res.destroy();
      });
    };
    await this.opts.tokens?.load();
    const tls = this.opts.tls;
    const server: Server = tls
      ? createTlsServer({ cert: await readFile(tls.cert), key: await readFile(tls.key) }, handler)
      : createServer(handler);
    this.scheme = tls ? "https" : "http";
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.opts.port, this.opts.host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    if (this.opts.auth === "none") this.opts.log?.warn({ api: this.url }, "operator API without authentication (http.auth: none)");
    else if (this.opts.tokens!.active === 0) {
      this.opts.log?.warn("no operator API tokens: every request but /healthz is refused; add one with `cloud-processor token add NAME --role operator`");
    }
  }

  private table(): Route[] {
    const b = this.backend;
    const audit = async (who: Caller, action: "rules.applied" | "alert.acknowledged", detail: Record<string, unknown>) =>
      this.opts.audit?.record({ who: who.name, role: who.role, action, ...detail });
    return [
      { method: "GET", path: /^\/alerts$/, permission: "alerts:read", handle: (_q, res) => send(res, 200, b.alerts()) },
      {
        method: "POST",
        path: /^\/alerts\/([^/]+)\/ack$/,
        permission: "alerts:ack",
        handle: async (req, res, who, [rawId]) => {
          let id: string;
          try {
            id = decodeURIComponent(rawId!);
          } catch {
            throw new HttpError(400, "alert id is not valid percent-encoding");
          }
          const body = await readBody(req);
          let by = who.name;
          if (body.trim()) {
            let j: unknown;
            try {
              j = JSON.parse(body);
            } catch {
              throw new HttpError(400, 'body must be JSON like {"by": "name"}');
            }
            const given = j && typeof j === "object" ? (j as { by?: unknown }).by : undefined;
            if (typeof given === "string" && given) by = given.slice(0, 128);
          }
          const a = await b.acknowledge(id, by);
          if (!a) return send(res, 404, { error: "no active alert with that id" });
          await audit(who, "alert.acknowledged", { alert: a.id, by });
          send(res, 200, a);
        },
      },
      { method: "GET", path: /^\/rules$/, permission: "rules:read", handle: (_q, res) => send(res, 200, b.rules()) },
      {
        method: "POST",
        path: /^\/rules\/validate$/,
        permission: "rules:validate",
        handle: async (req, res) => {
          const r = b.validateRules(await readBody(req));
          send(res, r.ok ? 200 : 400, r);
        },
      },
      ...["PUT", "POST"].map(
        (method): Route => ({
          method,
          path: /^\/rules$/,
          permission: "rules:write",
          handle: async (req, res, who) => {
            const r = await b.applyRules(await readBody(req));
            if (r.ok) await audit(who, "rules.applied", { version: b.rules().version });
            send(res, r.ok ? 200 : 400, r);
          },
        }),
      ),
      {
        method: "GET",
        path: /^\/metrics$/,
        permission: this.opts.metrics === "open" ? undefined : "metrics:read",
        handle: async (_q, res) => {
          const text = await b.registry.metrics();
          res.writeHead(200, { "content-type": b.registry.contentType, "content-length": Buffer.byteLength(text) });
          res.end(text);
        },
      },
      {
        method: "GET",
        path: /^\/healthz$/,
        permission: undefined,
        handle: (_q, res) => {
          const h = b.health();
          send(res, h.ok ? 200 : 503, h);
        },
      },
    ];
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      let path: string;
      try {
        path = new URL(req.url ?? "/", "http://x").pathname;
      } catch {
        throw new HttpError(400, "bad request target");
      }
      const matching = this.routes.filter((r) => r.path.test(path));
      const route = matching.find((r) => r.method === req.method);
      // Open routes answer anyone; everything else, unknown paths included, needs a token first.
      if (route && route.permission === undefined) {
        return await route.handle(req, res, { name: "anonymous", role: "viewer" }, []);
      }
      const who = await this.authenticate(req);
      if (!route) {
        if (matching.length > 0) {
          res.setHeader("allow", [...new Set(matching.map((r) => r.method))].join(", "));
          throw new HttpError(405, `${req.method} is not allowed on ${path}`);
        }
        throw new HttpError(404, `no route ${req.method} ${path}`);
      }
      if (!may(who.role, route.permission!)) throw new HttpError(403, `role ${who.role} may not ${route.permission}`);
      const params = route.path.exec(path)!.slice(1);
      await route.handle(req, res, who, params);
    } catch (err) {
      if (!(err instanceof HttpError)) throw err;
      for (const [k, v] of Object.entries(err.headers)) res.setHeader(k, v);
      if (err.status === 413) res.setHeader("connection", "close");
      send(res, err.status, { error: err.message });
    }
  }

  private async authenticate(req: IncomingMessage): Promise<Caller> {
    if (this.opts.auth === "none") return { name: "anonymous", role: "operator" };
    const header = req.headers.authorization;
    const m = header === undefined ? null : /^Bearer +(\S+) *$/i.exec(header);
    if (!m) throw new HttpError(401, "a bearer token is required (Authorization: Bearer <token>)", challenge("invalid_request"));
    const v = await this.opts.tokens!.verify(m[1]!);
    if (v.ok) return { name: v.token.name, role: v.token.role };
    if (v.reason === "busy") throw new HttpError(429, "too many token checks at once; retry", { "retry-after": "1" });
    throw new HttpError(401, "invalid, unknown or revoked token", challenge("invalid_token"));
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** The WWW-Authenticate header of a 401 (RFC 6750 section 3). */
function challenge(error: string): Record<string, string> {
  return { "www-authenticate": `Bearer realm="fieldline", error="${error}"` };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<string> {
  if (Number(req.headers["content-length"] ?? 0) > MAX_BODY) throw new HttpError(413, `request body over ${MAX_BODY} bytes`);
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of req) {
    n += (c as Buffer).length;
    if (n > MAX_BODY) throw new HttpError(413, `request body over ${MAX_BODY} bytes`);
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}
