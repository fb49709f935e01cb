/** VictoriaMetrics (Debian package) on a free loopback port; readiness on /health. */
import { spawn } from "node:child_process";
import { startServerProcess, type ServerOptions, type ServerProcess } from "./process.ts";
import { waitHttp } from "./wait.ts";

export interface VictoriaOptions extends ServerOptions {
  /** Same series and timestamp overwrite, as InfluxDB does (`-dedup.minScrapeInterval=1ms`). */
  dedup?: boolean;
}

export function startVictoria(opts: VictoriaOptions = {}): Promise<ServerProcess> {
  return startServerProcess(
    {
      name: "vm",
      url: (port) => `http://127.0.0.1:${port}`,
      spawn: (port, dir) =>
        spawn(
          "victoria-metrics",
          [
            `-httpListenAddr=127.0.0.1:${port}`,
            `-storageDataPath=${dir}`,
            "-retentionPeriod=100y",
            "-search.latencyOffset=0s",
            "-loggerLevel=ERROR",
            ...(opts.dedup ? ["-dedup.minScrapeInterval=1ms"] : []),
          ],
          { stdio: "ignore" },
        ),
      ready: (port, child, timeoutMs) => waitHttp(`http://127.0.0.1:${port}/health`, child, timeoutMs),
    },
    opts,
  );
}

/** Makes rows written so far visible to /api/v1/export at once. */
export async function flushVictoria(url: string): Promise<void> {
  await fetch(`${url}/internal/force_flush`).then((r) => r.body?.cancel());
}

export interface VmSeries {
  metric: Record<string, string>;
  values: number[];
  timestamps: number[];
}

/** All series matching `match` from /api/v1/export (JSON lines), after a flush. */
export async function vmExport(url: string, match: string): Promise<VmSeries[]> {
  await flushVictoria(url);
  const res = await fetch(`${url}/api/v1/export?match[]=${encodeURIComponent(match)}&start=0`);
  const text = await res.text();
  return text
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as VmSeries);
}
