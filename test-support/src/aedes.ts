/** A plain in-memory Aedes broker on a random loopback port (bound on port 0). */
import { createServer, type AddressInfo } from "node:net";
import { Aedes, type AedesOptions } from "aedes";

export interface AedesServer {
  url: string;
  port: number;
  broker: Aedes;
  close(): Promise<void>;
}

export async function startAedes(opts: AedesOptions = {}): Promise<AedesServer> {
  const broker = await Aedes.createBroker(opts);
  const server = createServer(broker.handle);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    broker,
    close: async () => {
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
