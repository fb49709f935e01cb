/** influxd 1.6 and VictoriaMetrics (Debian packages) on random loopback ports with temp dirs. */
import { flushVictoria, influxPost, startInfluxV1 as startInflux, startVictoria as startVm } from "@fieldline/test-support";

export interface DbServer {
  url: string;
  /** Writes line protocol with ms timestamps. */
  write(lines: string): Promise<void>;
  close(): Promise<void>;
}

export async function startInfluxV1(db = "fieldline"): Promise<DbServer> {
  const s = await startInflux({ db, prefix: "fl-sim-influxd-" });
  return {
    url: s.url,
    write: (lines) => influxPost(`${s.url}/write?db=${db}&precision=ms`, lines),
    close: () => s.close(),
  };
}

export async function startVictoria(): Promise<DbServer> {
  const s = await startVm({ prefix: "fl-sim-vm-" });
  return {
    url: s.url,
    write: async (lines) => {
      await influxPost(`${s.url}/api/v2/write?precision=ms`, lines);
      // Make the rows visible to export at once.
      await flushVictoria(s.url);
    },
    close: () => s.close(),
  };
}
