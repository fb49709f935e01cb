/**
 * A platform component run as its own process (`node --import tsx <cli> ...`), with its pino
 * JSON log kept in memory and in a file, readiness by log line, graceful stop, kill -9.
 * Every started child is tracked so that an exit or Ctrl-C of the parent stops them all.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, type WriteStream } from "node:fs";
import { resolve } from "node:path";

export const ROOT = resolve(import.meta.dirname, "../..");
const live = new Set<ChildProcess>();

/** Registers a child started elsewhere (a database server) for `killAll`. */
export function track(child: ChildProcess): void {
  live.add(child);
  child.once("exit", () => live.delete(child));
}

/** Kills every child still running (SIGKILL): the last resort on exit. */
export function killAll(): void {
  for (const c of live) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  live.clear();
}

export interface LogLine {
  msg?: string;
  level?: number;
  [k: string]: unknown;
}

export class ManagedProcess {
  private child: ChildProcess | undefined;
  private out: WriteStream | undefined;
  private tail = "";
  readonly lines: LogLine[] = [];
  private readonly keep = 2000;
  private exitWait: Promise<void> = Promise.resolve();

  constructor(
    readonly name: string,
    private readonly args: string[],
    private readonly logFile: string,
  ) {}

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the process and waits for a log line with `ready` as its msg. */
  async start(ready: string, timeoutMs = 30_000): Promise<LogLine> {
    this.lines.length = 0;
    this.out ??= createWriteStream(this.logFile, { flags: "a" });
    const child = spawn(process.execPath, ["--import", "tsx", ...this.args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    this.child = child;
    live.add(child);
    this.exitWait = new Promise((r) => child.once("exit", () => (live.delete(child), r())));
    const onData = (d: Buffer) => {
      this.out?.write(d);
      this.tail += d.toString();
      let nl: number;
      while ((nl = this.tail.indexOf("\n")) >= 0) {
        const line = this.tail.slice(0, nl);
        this.tail = this.tail.slice(nl + 1);
        this.onLine(line);
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    return this.waitLog((l) => l.msg === ready, timeoutMs);
  }

  private onLine(text: string): void {
    if (!text.startsWith("{")) {
      this.lines.push({ msg: text });
    } else {
      try {
        this.lines.push(JSON.parse(text) as LogLine);
      } catch {
        this.lines.push({ msg: text });
      }
    }
    if (this.lines.length > this.keep) this.lines.splice(0, this.lines.length - this.keep);
  }

  async waitLog(pred: (l: LogLine) => boolean, timeoutMs = 30_000): Promise<LogLine> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.lines.find(pred);
      if (hit) return hit;
      if (!this.running) throw new Error(`${this.name} exited (${this.child?.exitCode ?? this.child?.signalCode}) before it was ready:\n${this.lastLog()}`);
      if (Date.now() > deadline) throw new Error(`${this.name} not ready after ${timeoutMs} ms:\n${this.lastLog()}`);
      await sleep(20);
    }
  }

  lastLog(n = 15): string {
    return this.lines
      .slice(-n)
      .map((l) => JSON.stringify(l))
      .join("\n");
  }

  /** SIGTERM, then SIGKILL after `graceMs`. Resolves when the process has exited. */
  async stop(graceMs = 10_000): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    child.kill("SIGTERM");
    const t = setTimeout(() => child.kill("SIGKILL"), graceMs);
    await this.exitWait;
    clearTimeout(t);
  }

  /** kill -9: no cleanup in the child at all. */
  async kill9(): Promise<void> {
    if (!this.child || !this.running) return;
    this.child.kill("SIGKILL");
    await this.exitWait;
  }

  exitCode(): number | null | undefined {
    return this.child?.exitCode;
  }

  async close(): Promise<void> {
    await this.stop();
    await new Promise<void>((r) => (this.out ? this.out.end(() => r()) : r()));
    this.out = undefined;
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `check` until it returns a truthy value or `timeoutMs` passes (then undefined). */
export async function poll<T>(check: () => Promise<T | undefined> | T | undefined, timeoutMs: number, everyMs = 100): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await Promise.resolve(check()).catch(() => undefined);
    if (v) return v;
    if (Date.now() > deadline) return undefined;
    await sleep(everyMs);
  }
}
