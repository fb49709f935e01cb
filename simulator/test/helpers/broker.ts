/**
 * A real Aedes broker on a random loopback port, with an outage switch (stop/resume listening).
 * Aedes 1.2 drops a delivery whose counter is below one already delivered on the connection
 * (messages can overtake each other on their way through the persistence) and then clears an
 * unrelated queued message; the Fieldline broker's two fixes for that are applied here too, so
 * the transport is tested against a broker that delivers what it acknowledged.
 */
import { createServer, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { Aedes, type AedesOptions, type Client } from "aedes";
import { clearOnlyById, forwardOnce } from "@fieldline/broker";

export class TestBroker {
  broker!: Aedes;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(private readonly opts: AedesOptions = {}) {}

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    this.broker = await Aedes.createBroker(this.opts);
    clearOnlyById((this.broker as unknown as { persistence: Parameters<typeof clearOnlyById>[0] }).persistence);
    await this.listen();
    return this;
  }

  private async listen(): Promise<void> {
    const server = createServer((socket) => {
      this.sockets.add(socket);
      socket.on("close", () => this.sockets.delete(socket));
      forwardOnce(this.broker.handle(socket) as unknown as Client);
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.port, "127.0.0.1", () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
  }

  /** Outage: every connection dropped, no new ones accepted; sessions stay in the broker. */
  async pause(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server?.close(() => resolve()) ?? resolve());
    for (const s of this.sockets) s.destroy();
    await closed;
  }

  async resume(): Promise<void> {
    await this.listen();
  }

  async stop(): Promise<void> {
    if (this.server) await this.pause();
    await new Promise<void>((resolve) => this.broker.close(() => resolve()));
  }
}
