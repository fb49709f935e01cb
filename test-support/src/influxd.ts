/** Debian's influxd 1.6 with a config of its own (meta/data/wal under the dir), database created. */
import { spawn } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { freePort } from "./ports.ts";
import { startServerProcess, type ServerOptions, type ServerProcess } from "./process.ts";
import { waitHttp } from "./wait.ts";

export interface InfluxOptions extends ServerOptions {
  /** Database created once the server answers; default `fieldline`. */
  db?: string;
}

function config(dir: string, httpPort: number, rpcPort: number): string {
  return [
    "reporting-disabled = true",
    `bind-address = "127.0.0.1:${rpcPort}"`,
    "[meta]",
    `  dir = "${dir}/meta"`,
    "[data]",
    `  dir = "${dir}/data"`,
    `  wal-dir = "${dir}/wal"`,
    "  query-log-enabled = false",
    "[http]",
    `  bind-address = "127.0.0.1:${httpPort}"`,
    "  log-enabled = false",
    "[monitor]",
    "  store-enabled = false",
    "",
  ].join("\n");
}

export async function startInfluxV1(opts: InfluxOptions = {}): Promise<ServerProcess> {
  const db = opts.db ?? "fieldline";
  const cfgPath = (dir: string) => join(dir, "influxdb.conf");
  let rpcPort: number | undefined;
  const server = await startServerProcess(
    {
      name: "influxd",
      url: (port) => `http://127.0.0.1:${port}`,
      spawn: async (port, dir) => {
        // The same RPC port on a restart, so the config stays the one written first.
        rpcPort ??= await freePort();
        await writeFile(cfgPath(dir), config(dir, port, rpcPort));
        return spawn("influxd", ["run", "-config", cfgPath(dir)], { stdio: "ignore" });
      },
      ready: (port, child, timeoutMs) => waitHttp(`http://127.0.0.1:${port}/ping`, child, timeoutMs),
    },
    opts,
  );
  try {
    await influxPost(`${server.url}/query?q=${encodeURIComponent(`CREATE DATABASE "${db}"`)}`, "");
  } catch (e) {
    await server.close();
    throw e;
  }
  return server;
}

/** POST with a body; throws on a non-2xx answer with its text. */
export async function influxPost(url: string, body: string): Promise<void> {
  const res = await fetch(url, { method: "POST", body });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status} ${await res.text()}`);
  await res.body?.cancel();
}

/** InfluxQL query on influxd 1.x; returns [time(ms), ...columns] rows of every series. */
export async function influxQuery(url: string, db: string, q: string): Promise<unknown[][]> {
  const res = await fetch(`${url}/query?db=${db}&epoch=ms&q=${encodeURIComponent(q)}`);
  const j = (await res.json()) as { results: { series?: { values: unknown[][] }[]; error?: string }[] };
  if (j.results[0]?.error) throw new Error(j.results[0].error);
  return j.results[0]?.series?.flatMap((s) => s.values) ?? [];
}
