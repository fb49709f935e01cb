/**
 * A real edge agent (`edge-agent/src/cli.ts run`) for one simulated device: it reads the
 * device's virtual serial port, runs the local safety rules and drives a VALVE line on its
 * simulated GPIO chip (a Unix socket the platform watches), and publishes through its outbox.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { SimGpioClient, type OutputEvent } from "../../edge-agent/src/gpio/sim/client";
import { ManagedProcess } from "./process";

export const VALVE = { name: "VALVE", line: 17 } as const;

export interface AgentOptions {
  dir: string;
  site: string;
  device: string;
  serialPath: string;
  brokerUrl: string;
  password: string;
  rulesFile: string;
  /** Event time of readings: "host" (frame arrival) or "mcu" (MCU clock anchored to the host's). */
  time: "host" | "mcu";
}

export class AgentService {
  private readonly proc: ManagedProcess;
  private gpio: SimGpioClient | undefined;
  /** Output writes seen by the GPIO watches of earlier runs of this agent (before a restart). */
  private readonly earlier: OutputEvent[] = [];
  private readonly dir: string;
  httpPort = 0;

  constructor(readonly opts: AgentOptions) {
    this.dir = join(opts.dir, opts.device);
    const cli = join("edge-agent", "src", "cli.ts");
    this.proc = new ManagedProcess(`edge-agent ${opts.device}`, [cli, "run", "--config", join(this.dir, "edge.yaml"), "--drain-ms", "5000"], join(this.dir, "agent.log"));
  }

  get device(): string {
    return this.opts.device;
  }

  get socket(): string {
    return join(this.dir, "gpio.sock");
  }

  get running(): boolean {
    return this.proc.running;
  }

  /** Output writes the agent made to its GPIO lines since the first start (initial level first), across restarts. */
  get outputs(): readonly OutputEvent[] {
    return [...this.earlier, ...(this.gpio?.outputs ?? [])];
  }

  async start(): Promise<void> {
    const o = this.opts;
    await mkdir(this.dir, { recursive: true });
    await writeFile(
      join(this.dir, "edge.yaml"),
      [
        `device: { site: ${o.site}, id: ${o.device} }`,
        `broker: { url: "${o.brokerUrl}", clientId: ${o.device}, username: ${o.device}, password: "${o.password}", reconnect: { initialMs: 100, maxMs: 1000 } }`,
        "inputs:",
        `  - { type: serial-frames, path: "${o.serialPath}", time: ${o.time}, reopen: { initialMs: 50, maxMs: 500 } }`,
        "gpio:",
        `  chip: { type: sim, socket: "${this.socket}", names: { ${VALVE.name}: ${VALVE.line} } }`,
        `  outputs: { ${VALVE.name}: { line: ${VALVE.line}, initial: 1 } }`,
        `rules: { file: "${o.rulesFile}", tickMs: 500 }`,
        "telemetry: { maxBatch: 200, lingerMs: 20 }",
        `dataDir: "${join(this.dir, "data")}"`,
        "outbox: { fsync: interval }",
        `http: { listen: "127.0.0.1:0" }`,
        "log: { level: info }",
        "",
      ].join("\n"),
    );
    const started = await this.proc.start("agent started");
    this.httpPort = Number(started.http ?? 0);
    this.gpio = new SimGpioClient({ socket: this.socket });
    await this.gpio.connect();
    await this.gpio.watch();
  }

  /** The first write of `value` to the VALVE line, if any. */
  valveWrite(value: 0 | 1): OutputEvent | undefined {
    return this.outputs.find((e) => e.line === VALVE.line && e.value === value);
  }

  async valveLevel(): Promise<0 | 1 | undefined> {
    return this.gpio ? (await this.gpio.get(VALVE.name)).value : undefined;
  }

  /** kill -9 of the agent process: no drain, no cleanup; its outbox and state files stay as they are. */
  async kill9(): Promise<void> {
    await this.proc.kill9();
    await this.dropGpio();
  }

  private async dropGpio(): Promise<void> {
    if (this.gpio) this.earlier.push(...this.gpio.outputs);
    await this.gpio?.close();
    this.gpio = undefined;
  }

  async stop(): Promise<void> {
    await this.dropGpio();
    await this.proc.close();
  }
}
