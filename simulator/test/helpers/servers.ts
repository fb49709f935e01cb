/** influxd 1.6 and VictoriaMetrics (Debian packages) on random loopback ports with temp dirs. */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
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

export interface DbServer {
  url: string;
  /** Writes line protocol with ms timestamps. */
  write(lines: string): Promise<void>;
  close(): Promise<void>;
}

async function stopProc(proc: ChildProcess, dir: string): Promise<void> {
  if (proc.exitCode === null && proc.signalCode === null) {
    const exited = new Promise((r) => proc.once("exit", r));
    proc.kill("SIGTERM");
    const t = setTimeout(() => proc.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(t);
  }
  await rm(dir, { recursive: true, force: true });
}

async function post(url: string, body: string): Promise<void> {
  const res = await fetch(url, { method: "POST", body });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status} ${await res.text()}`);
  await res.body?.cancel();
}

export async function startInfluxV1(db = "fieldline"): Promise<DbServer> {
  const dir = await mkdtemp(join(tmpdir(), "fl-sim-influxd-"));
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
  await waitHttp(`${url}/ping`, proc);
  await post(`${url}/query?q=${encodeURIComponent(`CREATE DATABASE "${db}"`)}`, "");
  return {
    url,
    write: (lines) => post(`${url}/write?db=${db}&precision=ms`, lines),
    close: () => stopProc(proc, dir),
  };
}

export async function startVictoria(): Promise<DbServer> {
  const dir = await mkdtemp(join(tmpdir(), "fl-sim-vm-"));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const proc = spawn(
    "victoria-metrics",
    [`-httpListenAddr=127.0.0.1:${port}`, `-storageDataPath=${dir}`, "-retentionPeriod=100y", "-search.latencyOffset=0s", "-loggerLevel=ERROR"],
    { stdio: "ignore" },
  );
  await waitHttp(`${url}/health`, proc);
  return {
    url,
    write: async (lines) => {
      await post(`${url}/api/v2/write?precision=ms`, lines);
      // Make the rows visible to export at once.
      await fetch(`${url}/internal/force_flush`).then((r) => r.body?.cancel());
    },
    close: () => stopProc(proc, dir),
  };
}
