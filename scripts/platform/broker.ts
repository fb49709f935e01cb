/**
 * Our broker (`broker/src/cli.ts serve`) as a process on a port chosen once, so that a
 * restart comes back where devices and the processor reconnect. With `redis`, sessions,
 * retained messages and QoS 1 queues live in redis-server and survive the restart.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ManagedProcess } from "./process";
import { freePort } from "./servers";

export interface BrokerOptions {
  dir: string;
  registryFile: string;
  redis?: string;
  /** Where sessions live without redis: on disk (the broker's default) or in memory (lost on a restart). */
  persistence?: "disk" | "memory";
}

export class BrokerService {
  private proc: ManagedProcess | undefined;
  port = 0;
  httpPort = 0;

  constructor(private readonly opts: BrokerOptions) {}

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.proc?.running ?? false;
  }

  async start(): Promise<void> {
    if (!this.proc) {
      this.port = await freePort();
      this.httpPort = await freePort();
      const config = join(this.opts.dir, "broker.yaml");
      await writeFile(
        config,
        [
          "listeners:",
          `  mqtt: { host: 127.0.0.1, port: ${this.port} }`,
          `  http: { host: 127.0.0.1, port: ${this.httpPort} }`,
          `registry: { file: "${this.opts.registryFile}" }`,
          // A demo fleet reconnects all at once after an outage; give each client room.
          "limits: { publishRate: { perSecond: 1000, burst: 2000 } }",
          ...(this.opts.redis ? [`cluster: { redis: "${this.opts.redis}" }`] : []),
          ...(this.opts.persistence === "memory" ? ["persistence: { backend: memory }"] : []),
          "",
        ].join("\n"),
      );
      const cli = join("broker", "src", "cli.ts");
      this.proc = new ManagedProcess("broker", [cli, "serve", "--config", config], join(this.opts.dir, "broker.log"));
    }
    await this.proc.start("broker started");
  }

  /** Graceful stop (SIGTERM): connections are closed, the port is released. */
  async stop(): Promise<void> {
    await this.proc?.stop();
  }

  /** kill -9: no cleanup; what the broker held only in memory is gone. */
  async kill9(): Promise<void> {
    await this.proc?.kill9();
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  async close(): Promise<void> {
    await this.proc?.close();
  }
}
