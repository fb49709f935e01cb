/**
 * Operator HTTP API (node:http):
 *   GET  /alerts                     active alerts
 *   POST /alerts/:id/ack {"by": ".."} acknowledge one (404 if not active)
 *   GET  /rules                      {version, yaml}
 *   POST /rules/validate  (YAML)     {ok, rules} or 400 {ok: false, issues}
 *   PUT  /rules           (YAML)     validate, apply and push to devices as desired config
 *   GET  /healthz                    200 when MQTT is connected and the sink is writing, else 503
 *   GET  /metrics                    Prometheus text
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Alert } from "@fieldline/firmware-contracts";
import type { Registry } from "prom-client";
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

const MAX_BODY = 1024 * 1024;

export class HttpApi {
  private server: Server | undefined;

  constructor(
    private readonly backend: ApiBackend,
    private readonly host: string,
    private readonly port: number,
  ) {}

  get address(): AddressInfo {
    const a = this.server?.address();
    if (!a || typeof a === "string") throw new Error("HTTP API is not listening");
    return a;
  }

  get url(): string {
    return `http://${this.address.address}:${this.address.port}`;
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      this.route(req, res).catch((err: unknown) => send(res, 500, { error: (err as Error).message }));
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.port, this.host, () => {
        server.off("error", reject);
        resolve();
      });
    });
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://x");
    const path = url.pathname;
    const b = this.backend;
    if (req.method === "GET" && path === "/alerts") return send(res, 200, b.alerts());
    const ack = /^\/alerts\/([^/]+)\/ack$/.exec(path);
    if (req.method === "POST" && ack) {
      const body = await readBody(req);
      let by = "operator";
      if (body.trim()) {
        try {
          const j = JSON.parse(body) as { by?: unknown };
          if (typeof j.by === "string" && j.by) by = j.by.slice(0, 128);
        } catch {
          return send(res, 400, { error: "body must be JSON like {\"by\": \"name\"}" });
        }
      }
      const a = await b.acknowledge(decodeURIComponent(ack[1]!), by);
      return a ? send(res, 200, a) : send(res, 404, { error: "no active alert with that id" });
    }
    if (req.method === "GET" && path === "/rules") return send(res, 200, b.rules());
    if (req.method === "POST" && path === "/rules/validate") {
      const r = b.validateRules(await readBody(req));
      return send(res, r.ok ? 200 : 400, r);
    }
    if ((req.method === "PUT" || req.method === "POST") && path === "/rules") {
      const r = await b.applyRules(await readBody(req));
      return send(res, r.ok ? 200 : 400, r);
    }
    if (req.method === "GET" && path === "/healthz") {
      const h = b.health();
      return send(res, h.ok ? 200 : 503, h);
    }
    if (req.method === "GET" && path === "/metrics") {
      res.writeHead(200, { "content-type": b.registry.contentType });
      res.end(await b.registry.metrics());
      return;
    }
    send(res, 404, { error: `no route ${req.method} ${path}` });
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of req) {
    n += (c as Buffer).length;
    if (n > MAX_BODY) throw new Error("request body too large");
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}
