/** Real servers for tests: Aedes on TCP, influxd 1.6 and VictoriaMetrics on random loopback ports. */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type AddressInfo, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Aedes } from "aedes";

export async function tempDir(prefix = "fl-proc-"): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export interface TestBroker {
  url: string;
  port: number;
  broker: Aedes;
  close(): Promise<void>;
}

export async function startBroker(): Promise<TestBroker> {
  const broker = await Aedes.createBroker();
  const server: Server = createServer(broker.handle);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    broker,
    close: async () => {
      await new Promise<void>((r) => broker.close(() => r()));
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

async function waitHttp(url: string, proc: ChildProcess, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`${url}: server exited with ${proc.exitCode}`);
    try {
      const res = await fetch(url);
      await res.body?.cancel();
      if (res.ok) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`${url} not ready after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function kill(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise<void>((r) => proc.once("exit", () => r()));
  proc.kill("SIGTERM");
  const t = setTimeout(() => proc.kill("SIGKILL"), 5000);
  await exited;
  clearTimeout(t);
}

export interface DbServer {
  url: string;
  port: number;
  /** Stops the process (data kept). */
  stop(): Promise<void>;
  /** Starts it again on the same port and data dir. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

/** Debian's influxd 1.6 with a temp config (meta/data/wal under dir), database `db` created. */
export async function startInfluxV1(db = "fieldline"): Promise<DbServer> {
  const dir = await tempDir("fl-influxd-");
  const port = await freePort();
  const cfgPath = join(dir.path, "influxdb.conf");
  await writeFile(
    cfgPath,
    [
      "reporting-disabled = true",
      `bind-address = "127.0.0.1:${await freePort()}"`,
      "[meta]",
      `  dir = "${dir.path}/meta"`,
      "[data]",
      `  dir = "${dir.path}/data"`,
      `  wal-dir = "${dir.path}/wal"`,
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
  let proc: ChildProcess;
  const launch = async () => {
    proc = spawn("influxd", ["run", "-config", cfgPath], { stdio: "ignore" });
    await waitHttp(`${url}/ping`, proc);
  };
  await launch();
  const res = await fetch(`${url}/query?q=${encodeURIComponent(`CREATE DATABASE "${db}"`)}`, { method: "POST" });
  if (!res.ok) throw new Error(`CREATE DATABASE: HTTP ${res.status}`);
  await res.body?.cancel();
  return {
    url,
    port,
    stop: () => kill(proc),
    restart: launch,
    close: async () => {
      await kill(proc);
      await dir.remove();
    },
  };
}

export async function startVictoria(): Promise<DbServer> {
  const dir = await tempDir("fl-vm-");
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let proc: ChildProcess;
  const launch = async () => {
    proc = spawn(
      "victoria-metrics",
      [
        `-httpListenAddr=127.0.0.1:${port}`,
        `-storageDataPath=${dir.path}`,
        "-retentionPeriod=100y",
        "-search.latencyOffset=0s",
        "-loggerLevel=ERROR",
        // Same series and timestamp overwrite, as InfluxDB does (redelivery must not double).
        "-dedup.minScrapeInterval=1ms",
      ],
      { stdio: "ignore" },
    );
    await waitHttp(`${url}/health`, proc);
  };
  await launch();
  return {
    url,
    port,
    stop: () => kill(proc),
    restart: launch,
    close: async () => {
      await kill(proc);
      await dir.remove();
    },
  };
}

/** InfluxQL query on influxd 1.x; returns [time(ms), ...columns] rows of the first series. */
export async function influxQuery(url: string, db: string, q: string): Promise<unknown[][]> {
  const res = await fetch(`${url}/query?db=${db}&epoch=ms&q=${encodeURIComponent(q)}`);
  const j = (await res.json()) as { results: { series?: { values: unknown[][] }[]; error?: string }[] };
  if (j.results[0]?.error) throw new Error(j.results[0].error);
  return j.results[0]?.series?.flatMap((s) => s.values) ?? [];
}

export interface VmSeries {
  metric: Record<string, string>;
  values: number[];
  timestamps: number[];
}

/** All series matching `match` from VictoriaMetrics' /api/v1/export (JSON lines). */
export async function vmExport(url: string, match: string): Promise<VmSeries[]> {
  await fetch(`${url}/internal/force_flush`).then((r) => r.body?.cancel());
  const res = await fetch(`${url}/api/v1/export?match[]=${encodeURIComponent(match)}&start=0`);
  const text = await res.text();
  return text
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as VmSeries);
}
