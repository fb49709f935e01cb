/**
 * Servers the platform may stand on, each a Debian package started on a random loopback
 * port with its own folder: VictoriaMetrics (InfluxDB v2 write API), influxd 1.6 (v1 API)
 * and redis-server (the broker's shared session store). Started the way FIELD-NOTES.md says.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { createServer, type AddressInfo } from "node:net";
import { join } from "node:path";
import { sleep, track } from "./process";

export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export function hasCommand(cmd: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }).status === 0;
}

export interface Server {
  readonly url: string;
  stop(): Promise<void>;
}

class Proc implements Server {
  constructor(
    readonly url: string,
    private readonly proc: ChildProcess,
  ) {
    track(proc);
  }

  async stop(): Promise<void> {
    const p = this.proc;
    if (p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise((r) => p.once("exit", r));
    p.kill("SIGTERM");
    const t = setTimeout(() => p.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(t);
  }
}

async function waitHttp(url: string, proc: ChildProcess, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`${url}: server exited with ${proc.exitCode}`);
    const ok = await fetch(url)
      .then(async (r) => (await r.body?.cancel(), r.ok))
      .catch(() => false);
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${url} not ready after ${timeoutMs} ms`);
    await sleep(25);
  }
}

export async function startVictoria(dir: string): Promise<Server> {
  await mkdir(dir, { recursive: true });
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const proc = spawn(
    "victoria-metrics",
    [`-httpListenAddr=127.0.0.1:${port}`, `-storageDataPath=${dir}`, "-retentionPeriod=100y", "-search.latencyOffset=0s", "-loggerLevel=ERROR"],
    { stdio: "ignore" },
  );
  const server = new Proc(url, proc);
  await waitHttp(`${url}/health`, proc);
  return server;
}

/** Makes rows written so far visible to /api/v1/export at once. */
export async function flushVictoria(url: string): Promise<void> {
  await fetch(`${url}/internal/force_flush`).then((r) => r.body?.cancel());
}

export async function startInfluxV1(dir: string, db = "fieldline"): Promise<Server> {
  await mkdir(dir, { recursive: true });
  const port = await freePort();
  const cfg = join(dir, "influxdb.conf");
  await writeFile(
    cfg,
    [
      "reporting-disabled = true",
      `bind-address = "127.0.0.1:${await freePort()}"`,
      "[meta]",
      `  dir = "${dir}/meta"`,
      "[data]",
      `  dir = "${dir}/data"`,
      `  wal-dir = "${dir}/wal"`,
      "  query-log-enabled = false",
      "[http]",
      `  bind-address = "127.0.0.1:${port}"`,
      "  log-enabled = false",
      "[monitor]",
      "  store-enabled = false",
      "",
    ].join("\n"),
  );
  const url = `http://127.0.0.1:${port}`;
  const proc = spawn("influxd", ["run", "-config", cfg], { stdio: "ignore" });
  const server = new Proc(url, proc);
  await waitHttp(`${url}/ping`, proc);
  const res = await fetch(`${url}/query?q=${encodeURIComponent(`CREATE DATABASE "${db}"`)}`, { method: "POST" });
  if (!res.ok) throw new Error(`influxd: CREATE DATABASE: HTTP ${res.status}`);
  await res.body?.cancel();
  return server;
}

export async function startRedis(dir: string): Promise<Server> {
  await mkdir(dir, { recursive: true });
  const port = await freePort();
  const proc = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir], { stdio: "ignore" });
  const server = new Proc(`redis://127.0.0.1:${port}`, proc);
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`redis-server exited with ${proc.exitCode}`);
    if (spawnSync("redis-cli", ["-p", String(port), "ping"], { encoding: "utf8" }).stdout?.trim() === "PONG") break;
    if (Date.now() > deadline) throw new Error("redis-server not ready");
    await sleep(25);
  }
  return server;
}
