/**
 * A TCP proxy on a loopback port that one component connects through to reach the broker, so
 * a run can cut that component's network: `cut()` resets every connection (both sides see a
 * reset, as when a link dies) and refuses new ones (the listener is closed: connect gets
 * ECONNREFUSED) until `heal()` listens again on the same port. Bytes are passed on unchanged.
 */
import { createServer, connect, type Server, type Socket } from "node:net";
import { freePort } from "./servers";

export class TcpProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;
  /** Connections accepted, and connections reset by `cut()`. */
  readonly stats = { accepted: 0, reset: 0, cuts: 0 };

  constructor(
    readonly name: string,
    private readonly target: () => { host: string; port: number },
  ) {}

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  get isCut(): boolean {
    return this.server === undefined;
  }

  /** Listens on a port chosen the first time and kept for every later `heal()`. */
  async start(): Promise<void> {
    if (this.server) return;
    this.port ||= await freePort();
    const server = createServer((down) => this.accept(down));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.port, "127.0.0.1", () => (server.off("error", reject), resolve()));
    });
    this.server = server;
  }

  private accept(down: Socket): void {
    this.stats.accepted++;
    const { host, port } = this.target();
    const up = connect(port, host);
    this.sockets.add(down);
    this.sockets.add(up);
    down.setNoDelay(true);
    up.setNoDelay(true);
    const close = () => {
      this.sockets.delete(down);
      this.sockets.delete(up);
      down.destroy();
      up.destroy();
    };
    down.on("error", close).on("close", close);
    up.on("error", close).on("close", close);
    down.pipe(up);
    up.pipe(down);
  }

  /** Resets every connection and refuses new ones until `heal()`. */
  async cut(): Promise<void> {
    this.stats.cuts++;
    await this.drop();
  }

  private async drop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    const closed = server ? new Promise<void>((r) => server.close(() => r())) : Promise.resolve();
    for (const s of this.sockets) {
      this.stats.reset++;
      s.resetAndDestroy();
    }
    this.sockets.clear();
    await closed;
  }

  async heal(): Promise<void> {
    await this.start();
  }

  async stop(): Promise<void> {
    await this.drop();
  }
}
