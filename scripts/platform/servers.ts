/**
 * Servers the platform may stand on, each a Debian package started on a random loopback
 * port with its own folder: VictoriaMetrics (InfluxDB v2 write API), influxd 1.6 (v1 API)
 * and redis-server (the broker's shared session store). Started the way FIELD-NOTES.md says,
 * by @fieldline/test-support; every child is tracked for the harness's kill-all on exit.
 * A run's faults may stop and restart a server on the same port and data dir, or freeze it
 * (SIGSTOP: connections are accepted by the kernel and never answered) and thaw it (SIGCONT).
 */
import { spawnSync, type ChildProcess } from "node:child_process";
import { startInfluxV1 as startInflux, startRedis as startRedisServer, startVictoria as startVm, type ServerOptions, type ServerProcess } from "@fieldline/test-support";
import { track } from "./process";

export { flushVictoria, freePort } from "@fieldline/test-support";

export function hasCommand(cmd: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }).status === 0;
}

export interface Server {
  readonly url: string;
  /** Stops the process (SIGTERM); its data stays. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data dir. */
  restart(): Promise<void>;
  /** SIGSTOP: the server holds its port and answers nothing. */
  freeze(): void;
  /** SIGCONT after `freeze()`. */
  thaw(): void;
}

/** Wraps a test-support server, keeping its current child for SIGSTOP/SIGCONT. */
async function managed(start: (opts: ServerOptions) => Promise<ServerProcess>, opts: ServerOptions): Promise<Server> {
  let child: ChildProcess | undefined;
  let frozen = false;
  const server = await start({
    ...opts,
    onSpawn: (c) => {
      child = c;
      track(c);
    },
  });
  const alive = () => child !== undefined && child.exitCode === null && child.signalCode === null;
  const thaw = () => {
    if (frozen && alive()) child!.kill("SIGCONT");
    frozen = false;
  };
  return {
    url: server.url,
    stop: async () => {
      thaw(); // a stopped process does not act on SIGTERM
      await server.stop();
    },
    restart: () => server.restart(),
    freeze: () => {
      if (!alive()) return;
      child!.kill("SIGSTOP");
      frozen = true;
    },
    thaw,
  };
}

export function startVictoria(dir: string, dedup = false): Promise<Server> {
  return managed((o) => startVm({ ...o, dedup }), { dir });
}

export function startInfluxV1(dir: string, db = "fieldline"): Promise<Server> {
  return managed((o) => startInflux({ ...o, db }), { dir });
}

/** AOF with fsync on every write: what the broker's redis backend needs to keep what it acknowledged. */
export function startRedis(dir: string): Promise<Server> {
  return managed((o) => startRedisServer({ ...o, appendfsync: "always" }), { dir });
}
