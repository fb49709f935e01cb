/**
 * Servers the platform may stand on, each a Debian package started on a random loopback
 * port with its own folder: VictoriaMetrics (InfluxDB v2 write API), influxd 1.6 (v1 API)
 * and redis-server (the broker's shared session store). Started the way FIELD-NOTES.md says,
 * by @fieldline/test-support; every child is tracked for the harness's kill-all on exit.
 */
import { spawnSync } from "node:child_process";
import { startInfluxV1 as startInflux, startRedis as startRedisServer, startVictoria as startVm } from "@fieldline/test-support";
import { track } from "./process";

export { flushVictoria, freePort } from "@fieldline/test-support";

export function hasCommand(cmd: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }).status === 0;
}

export interface Server {
  readonly url: string;
  stop(): Promise<void>;
}

export function startVictoria(dir: string): Promise<Server> {
  return startVm({ dir, onSpawn: track });
}

export function startInfluxV1(dir: string, db = "fieldline"): Promise<Server> {
  return startInflux({ dir, db, onSpawn: track });
}

export function startRedis(dir: string): Promise<Server> {
  return startRedisServer({ dir, onSpawn: track });
}
