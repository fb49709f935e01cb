/** /healthz (JSON) and /metrics (Prometheus text) on one small HTTP server. */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";

export interface OpsServerOptions {
  listen: string;
  registry: Registry;
  health: () => { ok: boolean } & Record<string, unknown>;
}

export class OpsServer {
  private server: Server | undefined;

  constructor(private readonly opts: OpsServerOptions) {}

  async start(): Promise<AddressInfo> {
    const idx = this.opts.listen.lastIndexOf(":");
    const host = this.opts.listen.slice(0, idx) || "127.0.0.1";
    const port = Number(this.opts.listen.slice(idx + 1));
    const server = createServer((req, res) => {
      const path = (req.url ?? "/").split("?")[0];
      if (path === "/healthz") {
        const h = this.opts.health();
        res.writeHead(h.ok ? 200 : 503, { "content-type": "application/json" });
        res.end(JSON.stringify(h));
      } else if (path === "/metrics") {
        this.opts.registry.metrics().then(
          (text) => {
            res.writeHead(200, { "content-type": this.opts.registry.contentType });
            res.end(text);
          },
          (err: Error) => {
            res.writeHead(500);
            res.end(err.message);
          },
        );
      } else {
        res.writeHead(404);
        res.end();
      }
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => resolve());
    });
    return server.address() as AddressInfo;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}
