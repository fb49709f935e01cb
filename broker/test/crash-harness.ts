/**
 * For the crash tests: the broker run from its CLI as a child process (killed with SIGKILL
 * or stopped with SIGTERM and started again on the same config and data), QoS 1 publishers
 * that number their messages and keep what was acknowledged, a persistent-session
 * subscriber that keeps what it received, and a seeded random number generator.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import mqtt, { type MqttClient } from "mqtt";
import { seededRandom } from "@fieldline/test-support";

const CLI = fileURLToPath(new URL("../src/cli.ts", import.meta.url));
const ROOT = fileURLToPath(new URL("../../", import.meta.url));

export const rng = seededRandom;

export class CliBroker {
  private child?: ChildProcess;
  starts = 0;

  constructor(private readonly configFile: string) {}

  async start(): Promise<void> {
    const child = spawn(process.execPath, ["--import", "tsx", CLI, "serve", "--config", this.configFile], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child = child;
    let err = "";
    child.stderr!.on("data", (d) => (err += d));
    await new Promise<void>((resolve, reject) => {
      const rl = createInterface({ input: child.stdout! });
      const t = setTimeout(() => reject(new Error(`broker not started after 30 s: ${err}`)), 30_000);
      rl.on("line", (l) => {
        if (l.includes('"broker started"')) {
          clearTimeout(t);
          resolve();
        }
      });
      child.once("exit", (code) => {
        clearTimeout(t);
        reject(new Error(`broker exited (${code}) at start: ${err}`));
      });
    });
    this.starts++;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** kill -9, as a crash. */
  async kill(): Promise<void> {
    await this.signal("SIGKILL");
  }

  /** SIGTERM; resolves with the exit code once it has stopped. */
  async term(): Promise<number | null> {
    return this.signal("SIGTERM");
  }

  private async signal(sig: NodeJS.Signals): Promise<number | null> {
    const c = this.child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return c?.exitCode ?? null;
    const exited = new Promise<number | null>((r) => c.once("exit", (code) => r(code)));
    c.kill(sig);
    return exited;
  }
}

interface Login {
  port: number;
  username: string;
  password: string;
  clientId: string;
}

const connectOpts = (l: Login) => ({
  host: "127.0.0.1",
  port: l.port,
  username: l.username,
  password: l.password,
  clientId: l.clientId,
  protocolVersion: 4 as const,
  reconnectPeriod: 150,
  connectTimeout: 5000,
});

/** Publishes `name:seq` at QoS 1 flat out with `window` in flight; reconnects by itself. */
export class SeqPublisher {
  readonly acked = new Set<number>();
  private c: MqttClient;
  private seq = 0;
  private inFlight = 0;
  private running = true;

  constructor(
    login: Login,
    private readonly topic: string,
    private readonly name: string,
    private readonly window = 50,
  ) {
    this.c = mqtt.connect({ ...connectOpts(login), clean: true });
    this.c.on("error", () => undefined);
    this.c.on("connect", () => this.pump());
  }

  get sent(): number {
    return this.seq;
  }

  private pump(): void {
    while (this.running && this.inFlight < this.window && this.c.connected) {
      const n = this.seq++;
      this.inFlight++;
      this.c.publish(this.topic, `${this.name}:${n}`, { qos: 1 }, (err) => {
        this.inFlight--;
        if (!err) this.acked.add(n);
        this.pump();
      });
    }
  }

  /** Stops publishing and waits (bounded) for the PUBACKs of what is in flight. */
  async stop(timeoutMs = 20_000): Promise<void> {
    this.running = false;
    const end = Date.now() + timeoutMs;
    while (this.inFlight > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    await this.c.endAsync(true);
  }
}

/** A clean-session-off subscriber; `received` keeps every `name:seq` that arrived. */
export class SessionSubscriber {
  readonly received = new Set<string>();
  private c?: MqttClient;

  constructor(
    private readonly login: Login,
    private readonly filter: string,
  ) {}

  /** Connects; the first time also subscribes (and waits for SUBACK). */
  async connect(subscribe = false): Promise<void> {
    const c = mqtt.connect({ ...connectOpts(this.login), clean: false, resubscribe: false });
    this.c = c;
    c.on("error", () => undefined);
    c.on("message", (_t, payload) => this.received.add(payload.toString()));
    if (subscribe) {
      await new Promise<void>((resolve, reject) => {
        c.once("connect", () => resolve());
        setTimeout(() => reject(new Error("subscriber could not connect")), 20_000);
      });
      await c.subscribeAsync(this.filter, { qos: 1 });
    }
  }

  /** Goes away: DISCONNECT and close. */
  async away(): Promise<void> {
    await this.c?.endAsync();
    this.c = undefined;
  }

  get connected(): boolean {
    return this.c?.connected ?? false;
  }

  async close(): Promise<void> {
    await this.c?.endAsync(true);
    this.c = undefined;
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
