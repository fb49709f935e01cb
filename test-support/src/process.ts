/**
 * A server run as a child process on a free loopback port, in a dir of its own: started,
 * waited on until ready, stopped (SIGTERM, SIGKILL after a grace period), restarted on the
 * same port and dir, closed (stopped and, if the dir was made here, removed).
 */
import type { ChildProcess } from "node:child_process";
import { mkdir } from "node:fs/promises";
import { freePort } from "./ports.ts";
import { tempDir } from "./temp.ts";

export interface ServerProcess {
  readonly url: string;
  readonly port: number;
  /** The server's data dir. */
  readonly dir: string;
  /** Stops the process; its data stays. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data dir. */
  restart(): Promise<void>;
  /** Stops it and removes the dir if it is a temp dir made here. */
  close(): Promise<void>;
}

export interface ServerOptions {
  /** Data dir (created if missing, kept on close); default: a new temp dir removed on close. */
  dir?: string;
  /** Prefix of the temp dir when `dir` is not given. */
  prefix?: string;
  /** Called with every child right after spawn (e.g. to register it for a kill-all on exit). */
  onSpawn?: (child: ChildProcess) => void;
  /** How long to wait for readiness (ms). */
  readyTimeoutMs?: number;
}

export interface Launcher {
  name: string;
  url(port: number): string;
  spawn(port: number, dir: string): ChildProcess | Promise<ChildProcess>;
  ready(port: number, child: ChildProcess, timeoutMs: number): Promise<void>;
  /** Fresh ports to try when the process dies before it is ready (a port taken meanwhile). */
  attempts?: number;
}

/** SIGTERM, SIGKILL after `graceMs`; resolves once the process has exited. */
export async function stopProcess(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  child.kill("SIGTERM");
  const t = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(t);
}

export async function startServerProcess(launcher: Launcher, opts: ServerOptions = {}, defaultTimeoutMs = 15_000): Promise<ServerProcess> {
  const owned = opts.dir === undefined ? await tempDir(opts.prefix ?? `fl-${launcher.name}-`) : undefined;
  const dir = opts.dir ?? owned!.path;
  if (!owned) await mkdir(dir, { recursive: true });
  const timeoutMs = opts.readyTimeoutMs ?? defaultTimeoutMs;
  let child: ChildProcess | undefined;
  let diedEarly = false;

  const launch = async (port: number): Promise<void> => {
    const c = await launcher.spawn(port, dir);
    child = c;
    opts.onSpawn?.(c);
    try {
      await launcher.ready(port, c, timeoutMs);
    } catch (e) {
      diedEarly = c.exitCode !== null || c.signalCode !== null;
      await stopProcess(c);
      throw e;
    }
  };

  let port = 0;
  let lastError: unknown;
  for (let attempt = 0; attempt < (launcher.attempts ?? 1); attempt++) {
    port = await freePort();
    try {
      await launch(port);
      lastError = undefined;
      break;
    } catch (e) {
      lastError = e;
      // Only a process that died early is worth another port; a hang is not.
      if (!diedEarly) break;
    }
  }
  if (lastError !== undefined) {
    await owned?.remove();
    throw lastError;
  }

  const stop = async () => {
    if (child) await stopProcess(child);
  };
  return {
    url: launcher.url(port),
    port,
    dir,
    stop,
    restart: () => launch(port),
    close: async () => {
      await stop();
      await owned?.remove();
    },
  };
}
