/** A real Aedes broker on a random loopback port, with an outage switch (stop/resume listening). */
import { createServer, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { Aedes, type AedesOptions } from "aedes";

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
    await this.listen();
    return this;
  }

  private async listen(): Promise<void> {
    const server = createServer((socket) => {
      this.sockets.add(socket);
      socket.on("close", () => this.sockets.delete(socket));
      this.broker.handle(socket);
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
