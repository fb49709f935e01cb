/** A load generator (load.ts) in its own process, driven over IPC: ready, report, stop. */
import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const loadScript = fileURLToPath(new URL("./load.ts", import.meta.url));

export interface Load {
  child: ChildProcess;
  ready: Promise<Record<string, number>>;
  report(): Promise<Record<string, number>>;
  stop(): Promise<void>;
}

export function load(args: object): Load {
  const child = fork(loadScript, [JSON.stringify(args)], { execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const next = (type: string) =>
    new Promise<Record<string, number>>((resolve, reject) => {
      const on = (m: { type: string }) => {
        if (m.type === type) {
          child.off("message", on);
          resolve(m as unknown as Record<string, number>);
        }
      };
      child.on("message", on);
      child.once("exit", (code) => reject(new Error(`load process exited ${code}`)));
    });
  return {
    child,
    ready: next("ready"),
    report: () => {
      const p = next("report");
      child.send("report");
      return p;
    },
    stop: async () => {
      if (child.connected) child.send("stop");
      await Promise.race([exited, sleep(5000)]);
      if (child.exitCode === null) child.kill("SIGKILL");
    },
  };
}

