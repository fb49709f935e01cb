/** A real Aedes broker on a TCP port of 127.0.0.1, which a test can take down and bring back. */
import { createServer, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { Aedes } from "aedes";
import memoryPersistence from "aedes-persistence";

export class TestBroker {
  port = 0;
  private server: Server | undefined;
  private broker: Aedes | undefined;
  private readonly sockets = new Set<Socket>();
  /** Kept across down()/up(): sessions, QoS 1 queues and retained messages survive a restart. */
  private readonly persistence = memoryPersistence();

  /** Starts on a random free port, or on `port` again after `down()`. */
  async up(): Promise<void> {
    const broker = await Aedes.createBroker({ persistence: this.persistence });
    const server = createServer((s) => {
      this.sockets.add(s);
      s.on("close", () => this.sockets.delete(s));
      broker.handle(s);
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.port, "127.0.0.1", () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
    this.broker = broker;
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  /** Drops every connection and stops listening (the port stays ours to reuse). */
  async down(): Promise<void> {
    const server = this.server;
    const broker = this.broker;
    this.server = undefined;
    this.broker = undefined;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    if (broker) await new Promise<void>((resolve) => broker.close(() => resolve()));
  }
}
