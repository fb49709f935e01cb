/** MQTT over plain TCP. */
import { createServer } from "node:net";
import { listen, type ConnectionHandler, type Listener } from "./listener.ts";

export function startTcp(opts: { host: string; port: number }, handle: ConnectionHandler): Promise<Listener> {
  const server = createServer({ noDelay: true }, (socket) => handle(socket));
  return listen("mqtt", server, opts.host, opts.port);
}
