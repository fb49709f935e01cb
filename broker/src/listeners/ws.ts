/** MQTT over WebSocket (subprotocol "mqtt"), one duplex stream per socket via createWebSocketStream. */
import { createServer } from "node:http";
import { WebSocketServer, createWebSocketStream } from "ws";
import { listen, type ConnectionHandler, type Listener } from "./listener.ts";

export async function startWs(
  opts: { host: string; port: number; path: string; maxPayload: number },
  handle: ConnectionHandler,
): Promise<Listener> {
  const server = createServer((_req, res) => {
    res.writeHead(426, { "content-type": "text/plain" }).end("use a WebSocket\n");
  });
  const wss = new WebSocketServer({ server, path: opts.path, maxPayload: opts.maxPayload, perMessageDeflate: false });
  wss.on("connection", (ws, req) => {
    const stream = createWebSocketStream(ws);
    stream.on("error", () => stream.destroy());
    handle(stream, req);
  });
  const l = await listen("ws", server, opts.host, opts.port);
  return {
    name: l.name,
    port: l.port,
    close: async () => {
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((r) => wss.close(() => r()));
      await l.close();
    },
  };
}
