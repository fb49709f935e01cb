/**
 * One MQTT session at a time, with our own reconnect loop: mqtt.js is told never to
 * reconnect by itself (reconnectPeriod 0), so each attempt is a fresh client whose will and
 * CONNECT options are rebuilt, and a dead client's pending QoS 1 callbacks fail instead of
 * being silently resent (the outbox resends them, in order, after the next CONNACK).
 */
import { connect as mqttConnect, type IClientOptions, type MqttClient } from "mqtt";
import { Backoff, type BackoffOptions } from "./backoff";

export interface ConnectionEvents {
  /** A CONNACK arrived; `client` is usable until `down`. */
  up(client: MqttClient): void;
  /** The session ended; a reconnect is scheduled. */
  down(reason: string): void;
  /**
   * An attempt ended without a session: refused by the broker (`code` is the CONNACK return
   * code, e.g. 5 not authorized, 2 identifier rejected), or a network error; retried.
   */
  failed?(reason: string, code: number | undefined): void;
}

export interface ConnectionOptions {
  url: string;
  /** Built anew for each attempt (the will carries a fresh sequence number). */
  options: () => IClientOptions;
  backoff: BackoffOptions;
  events: ConnectionEvents;
  connect?: (url: string, opts: IClientOptions) => MqttClient;
}

export class Connection {
  private client: MqttClient | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly backoff: Backoff;
  private running = false;
  private isUp = false;
  /** Connection attempts since start. */
  attempts = 0;

  constructor(private readonly opts: ConnectionOptions) {
    this.backoff = new Backoff(opts.backoff);
  }

  get connected(): boolean {
    return this.isUp;
  }

  start(): void {
    this.running = true;
    this.attempt();
  }

  /** Ends the session; with `graceful`, pending publishes get their PUBACKs first. */
  async stop(graceful = false): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const c = this.client;
    this.client = undefined;
    if (c) {
      // A graceful end waits for pending PUBACKs; a broker that stopped answering gets 2 s.
      await withTimeout(new Promise<void>((resolve) => c.end(!graceful, {}, () => resolve())), graceful ? 2000 : 0);
      if (graceful) c.end(true);
    }
    if (this.isUp) {
      this.isUp = false;
      this.opts.events.down("stopped");
    }
  }

  private attempt(): void {
    if (!this.running) return;
    this.attempts++;
    const connect = this.opts.connect ?? mqttConnect;
    const client = connect(this.opts.url, { ...this.opts.options(), reconnectPeriod: 0, clean: true });
    this.client = client;
    let lastError = "closed";
    let lastCode: number | undefined;
    client.on("connect", () => {
      if (this.client !== client) return;
      this.backoff.reset();
      this.isUp = true;
      this.opts.events.up(client);
    });
    client.on("error", (err) => {
      lastError = err.message;
      const code = (err as { code?: unknown }).code;
      if (typeof code === "number") lastCode = code;
    });
    client.on("close", () => {
      if (this.client !== client) return;
      this.client = undefined;
      client.removeAllListeners("connect");
      client.end(true);
      if (this.isUp) {
        this.isUp = false;
        this.opts.events.down(lastError);
      } else if (this.running) {
        this.opts.events.failed?.(lastError, lastCode);
      }
      if (!this.running) return;
      const delay = this.backoff.next();
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.attempt();
      }, delay);
    });
  }
}

/** Resolves when `p` does or after `ms` (0: wait for `p`). */
export function withTimeout(p: Promise<void>, ms: number): Promise<void> {
  if (ms <= 0) return p;
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<void>((r) => (timer = setTimeout(r, ms)))]).finally(() => clearTimeout(timer));
}
