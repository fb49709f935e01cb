/**
 * Client of the sim GPIO chip's socket, for tests and the simulator: set input levels,
 * read lines, watch the agent's output writes.
 */
import { connect, type Socket } from "node:net";

export type SimAddress = { socket: string } | { port: number; host?: string };

export interface OutputEvent {
  line: number;
  value: 0 | 1;
  t: number;
}

interface Reply {
  ok: boolean;
  error?: string;
  [k: string]: unknown;
}

export class SimGpioClient {
  private sock: Socket | undefined;
  private buf = "";
  private nextId = 1;
  private readonly pending = new Map<
    number,
    { resolve: (r: Reply) => void; reject: (e: Error) => void }
  >();
  private readonly listeners = new Set<(e: OutputEvent) => void>();
  /** Output events seen since `watch()`, oldest first (the last `keep`). */
  readonly outputs: OutputEvent[] = [];

  constructor(
    private readonly address: SimAddress,
    private readonly keep = 10_000,
  ) {}

  async connect(): Promise<void> {
    const sock =
      "socket" in this.address
        ? connect(this.address.socket)
        : connect(this.address.port, this.address.host ?? "127.0.0.1");
    await new Promise<void>((resolve, reject) => {
      sock.once("connect", () => resolve());
      sock.once("error", reject);
    });
    sock.setEncoding("utf8");
    sock.on("data", (chunk: string) => this.onData(chunk));
    sock.on("error", () => undefined);
    sock.on("close", () => {
      for (const p of this.pending.values()) p.reject(new Error("sim GPIO connection closed"));
      this.pending.clear();
    });
    this.sock = sock;
  }

  async set(line: number | string, value: 0 | 1): Promise<void> {
    await this.call({ op: "set", line, value });
  }

  async get(line: number | string): Promise<{ line: number; value: 0 | 1; direction: string }> {
    const r = await this.call({ op: "get", line });
    return { line: r.line as number, value: r.value as 0 | 1, direction: r.direction as string };
  }

  async list(): Promise<{ line: number; name?: string; direction: string; value: 0 | 1 }[]> {
    return (await this.call({ op: "list" })).lines as {
      line: number;
      direction: string;
      value: 0 | 1;
    }[];
  }

  /** Subscribe to output writes; `onOutput` is optional (events are also kept in `outputs`). */
  async watch(onOutput?: (e: OutputEvent) => void): Promise<void> {
    if (onOutput) this.listeners.add(onOutput);
    await this.call({ op: "watch" });
  }

  /** Resolves with the first output event (already seen or future) matching line and value. */
  waitForOutput(line: number, value: 0 | 1, timeoutMs = 5000): Promise<OutputEvent> {
    const seen = this.outputs.find((e) => e.line === line && e.value === value);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.listeners.delete(fn);
        reject(new Error(`no output ${value} on line ${line} within ${timeoutMs} ms`));
      }, timeoutMs);
      const fn = (e: OutputEvent) => {
        if (e.line !== line || e.value !== value) return;
        clearTimeout(timer);
        this.listeners.delete(fn);
        resolve(e);
      };
      this.listeners.add(fn);
    });
  }

  async close(): Promise<void> {
    const sock = this.sock;
    this.sock = undefined;
    if (!sock || sock.destroyed) return;
    await new Promise<void>((resolve) => sock.end(() => resolve()));
    sock.destroy();
  }

  private call(req: Record<string, unknown>): Promise<Reply> {
    const sock = this.sock;
    if (!sock) return Promise.reject(new Error("sim GPIO client is not connected"));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, {
        resolve: (r) =>
          r.ok ? resolve(r) : reject(new Error(r.error ?? "sim GPIO request failed")),
        reject,
      });
      sock.write(JSON.stringify({ ...req, id }) + "\n");
    });
  }

  private onData(chunk: string): void {
    this.buf += chunk;
    let nl: number;
    while ((nl = this.buf.indexOf("\n")) >= 0) {
      const line = this.buf.slice(0, nl);
      this.buf = this.buf.slice(nl + 1);
      const msg = JSON.parse(line) as Reply & { ev?: string; id?: number };
      if (msg.ev === "output") {
        const e = { line: msg.line as number, value: msg.value as 0 | 1, t: msg.t as number };
        this.outputs.push(e);
        if (this.outputs.length > this.keep)
          this.outputs.splice(0, this.outputs.length - this.keep);
        for (const l of [...this.listeners]) l(e);
      } else if (typeof msg.id === "number") {
        this.pending.get(msg.id)?.resolve(msg);
        this.pending.delete(msg.id);
      }
    }
  }
}
