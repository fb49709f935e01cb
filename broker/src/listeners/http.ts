/** /healthz (JSON) and /metrics (Prometheus text) over HTTP. */
import { createServer } from "node:http";
import type { Registry } from "prom-client";
import { listen, type Listener } from "./listener.ts";

export function startHttp(
  opts: { host: string; port: number },
  health: () => { ok: boolean } & Record<string, unknown>,
  metrics: Registry,
): Promise<Listener> {
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (path === "/healthz") {
      const h = health();
      res.writeHead(h.ok ? 200 : 503, { "content-type": "application/json" }).end(JSON.stringify(h));
    } else if (path === "/metrics") {
      metrics.metrics().then(
        (text) => res.writeHead(200, { "content-type": metrics.contentType }).end(text),
        (err: Error) => res.writeHead(500).end(err.message),
      );
    } else res.writeHead(404).end();
  });
  return listen("http", server, opts.host, opts.port);
}
