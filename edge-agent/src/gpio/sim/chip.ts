/**
 * A simulated GPIO chip. The agent requests lines as on real hardware; tests and the
 * simulator drive it over a local socket (Unix path or 127.0.0.1 TCP port) speaking
 * newline-delimited JSON (protocol in edge-agent/docs/inputs.md, client in ./client.ts):
 * they set the level of input lines and read or watch output lines.
 */
import { createServer, type Server, type Socket } from "node:net";
import { rm } from "node:fs/promises";
import type { GpioChip, InputLine, OutputLine } from "../chip";
import { GpioError } from "../chip";
import { bit, resolveLine } from "../lines";
import type { SimGpioConfig } from "./config";
import { handleRequest, type SimLineState } from "./protocol";

type Edge = "rising" | "falling" | "both";

interface Held {
  direction: "input" | "output";
  edge?: Edge;
  onChange?: (value: 0 | 1, t: number) => void;
}

export class SimGpioChip implements GpioChip {
  /** Level of every line: driven by the agent (outputs) or by clients (inputs). */
  private readonly levels: (0 | 1)[];
  private readonly held = new Map<number, Held>();
  private readonly clients = new Set<Socket>();
  private readonly watchers = new Set<Socket>();
  private server: Server | undefined;
  private opening: Promise<void> | undefined;

  constructor(
    private readonly cfg: SimGpioConfig,
    private readonly clock: () => number = Date.now,
  ) {
    this.levels = new Array<0 | 1>(cfg.lines).fill(0);
  }

  /** Start listening (done implicitly by the first line request). */
  open(): Promise<void> {
    this.opening ??= this.listen().catch((err: unknown) => {
      this.opening = undefined; // let a later call try again
      throw err;
    });
    return this.opening;
  }

  /** Where clients connect: `{ socket }` or `{ port }` (after open). */
  address(): { socket: string } | { port: number } {
    if (this.cfg.socket !== undefined) return { socket: this.cfg.socket };
    const a = this.server?.address();
    if (!a || typeof a === "string") throw new GpioError("sim GPIO chip is not open");
    return { port: a.port };
  }

  async output(line: number | string, initial: 0 | 1): Promise<OutputLine> {
    await this.open();
    const n = this.request(line, { direction: "output" });
    this.drive(n, initial);
    return {
      set: (v) => this.drive(n, v),
      get: () => this.levels[n] ?? 0,
      release: async () => this.release(n),
    };
  }

  async input(
    line: number | string,
    edge: Edge,
    onChange: (value: 0 | 1, t: number) => void,
  ): Promise<InputLine> {
    await this.open();
    const n = this.request(line, { direction: "input", edge, onChange });
    return { get: () => this.levels[n] ?? 0, release: async () => this.release(n) };
  }

  async close(): Promise<void> {
    this.held.clear();
    for (const c of this.clients) c.destroy();
    this.clients.clear();
    this.watchers.clear();
    const server = this.server;
    this.server = undefined;
    this.opening = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    if (this.cfg.socket !== undefined) await rm(this.cfg.socket, { force: true });
  }

  private request(line: number | string, h: Held): number {
    const n = resolveLine(line, this.cfg.lines, this.cfg.names);
    if (this.held.has(n)) throw new GpioError(`line ${n} is already requested`);
    this.held.set(n, h);
    return n;
  }

  private release(n: number): void {
    this.held.delete(n);
  }

  private drive(n: number, v: 0 | 1): void {
    if (this.held.get(n)?.direction !== "output")
      throw new GpioError(`line ${n} is not requested as an output`);
    this.levels[n] = bit(v);
    const msg =
      JSON.stringify({ ev: "output", line: n, value: this.levels[n], t: this.clock() }) + "\n";
    for (const w of this.watchers) w.write(msg);
  }

  /** A client sets an input level; edge callbacks fire as the kernel would. */
  private setExternal(n: number, v: 0 | 1): void {
    const h = this.held.get(n);
    if (h?.direction === "output") throw new GpioError(`line ${n} is an output`);
    const old = this.levels[n];
    this.levels[n] = v;
    if (!h?.onChange || old === v) return;
    if (
      h.edge === "both" ||
      (h.edge === "rising" && v === 1) ||
      (h.edge === "falling" && v === 0)
    ) {
      h.onChange(v, this.clock());
    }
  }

  private state(): SimLineState {
    return {
      count: this.cfg.lines,
      names: this.cfg.names,
      level: (n) => this.levels[n] ?? 0,
      direction: (n) => this.held.get(n)?.direction ?? "free",
      set: (n, v) => this.setExternal(n, v),
    };
  }

  private async listen(): Promise<void> {
    if (this.cfg.socket !== undefined) await rm(this.cfg.socket, { force: true });
    const server = createServer((sock) => this.serve(sock));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      const done = () => {
        server.off("error", reject);
        resolve();
      };
      if (this.cfg.socket !== undefined) server.listen(this.cfg.socket, done);
      else server.listen(this.cfg.port ?? 0, "127.0.0.1", done);
    });
    this.server = server;
  }

  private serve(sock: Socket): void {
    this.clients.add(sock);
    sock.setNoDelay?.(true);
    let buf = "";
    sock.setEncoding("utf8");
    sock.on("data", (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (!line) continue;
        const reply = handleRequest(line, this.state());
        if (reply.watch) this.watchers.add(sock);
        sock.write(JSON.stringify(reply.body) + "\n");
      }
      if (buf.length > 65536) sock.destroy();
    });
    const drop = () => {
      this.clients.delete(sock);
      this.watchers.delete(sock);
    };
    sock.on("close", drop);
    sock.on("error", drop);
  }
}
