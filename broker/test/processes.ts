/** Runs the broker and load generators in their own processes (so RSS and CPU are the broker's alone). */
import { fork, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { BrokerConfigInput } from "../src/config.ts";

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const tsx = { execArgv: ["--import", "tsx"] };

export interface BrokerStats {
  rss: number;
  cpuMs: number;
  counters: Record<string, number>;
  health: { ok: boolean; clients: number };
}

export interface BrokerProcess {
  child: ChildProcess;
  ports: { mqtt?: number; http?: number };
  stats(): Promise<BrokerStats>;
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.once("line", (l) => {
      rl.close();
      resolve(l);
    });
    child.once("exit", (code) => reject(new Error(`process exited (${code}) before printing`)));
  });
}

export async function spawnBroker(config: BrokerConfigInput): Promise<BrokerProcess> {
  const child = fork(fixture("serve.ts"), [JSON.stringify(config)], { ...tsx, stdio: ["ignore", "pipe", "inherit", "ipc"] });
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  const { ports } = JSON.parse(await firstLine(child)) as { ports: BrokerProcess["ports"] };
  return {
    child,
    ports,
    exited,
    stats: () =>
      new Promise((resolve, reject) => {
        if (child.exitCode !== null || !child.connected) return reject(new Error("broker process is gone"));
        child.once("message", (m) => resolve(m as BrokerStats));
        child.send("stats");
      }),
    stop: async () => {
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        await exited;
      }
    },
  };
}

export interface FloodArgs {
  port: number;
  qos: 0 | 1;
  seconds: number;
  payloadBytes: number;
  devices: { username: string; secret: string; site: string; device: string }[];
}

/** Starts the flood generator; resolves with the number of publishes it sent. */
export function spawnFlood(args: FloodArgs): { done: Promise<number>; child: ChildProcess } {
  const child = fork(fixture("flood.ts"), [JSON.stringify(args)], { ...tsx, stdio: ["ignore", "pipe", "inherit", "ipc"] });
  const done = firstLine(child).then((l) => (JSON.parse(l) as { sent: number }).sent);
  return { done, child };
}
