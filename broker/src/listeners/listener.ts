/** A started listener: the port it really bound (config may say 0) and how to close it. */
import type { Server } from "node:net";
import type { Duplex } from "node:stream";
import type { IncomingMessage } from "node:http";

export interface Listener {
  readonly name: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Hands one accepted connection to Aedes (with the packet-size guard in front). */
export type ConnectionHandler = (conn: Duplex, req?: IncomingMessage) => void;

/** Binds, and on close stops accepting and destroys the connections still open. */
export async function listen(name: string, server: Server, host: string, port: number): Promise<Listener> {
  const open = new Set<Duplex>();
  server.on("connection", (s: Duplex) => {
    open.add(s);
    s.once("close", () => open.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const addr = server.address();
  const bound = typeof addr === "object" && addr ? addr.port : port;
  return {
    name,
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of open) s.destroy();
      }),
  };
}
