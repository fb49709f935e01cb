/**
 * Where the processor writes and how a run reads it back. One table per kind (STYLE §2):
 * the processor's sink config, the simulator's reader, and what a person opens afterwards.
 */
import { join } from "node:path";
import { InfluxV1Reader, LineFileReader, VictoriaReader, type StoreReader } from "@fieldline/simulator";
import type { SinkOptions } from "./processor";
import { flushVictoria, startInfluxV1, startVictoria, type Server } from "./servers";

export type StoreChoice =
  | { kind: "file" }
  /** dedup: one point per series and time, as InfluxDB keeps (`-dedup.minScrapeInterval=1ms`). */
  | { kind: "victoria-metrics"; dedup?: boolean }
  | { kind: "influxdb-v1" }
  /** An InfluxDB 2.x/3.x (or anything speaking its v2 write API) the user runs. */
  | { kind: "influxdb"; url: string; token?: string; org?: string; bucket?: string };

export interface Store {
  sink: SinkOptions;
  /** undefined when the run cannot read the store back (InfluxDB 2 has no reader here). */
  reader: StoreReader | undefined;
  /** Makes what was written visible to the reader. */
  settle(): Promise<void>;
  describe: string;
  server?: Server;
}

export async function openStore(choice: StoreChoice, dir: string): Promise<Store> {
  switch (choice.kind) {
    case "file": {
      const path = join(dir, "processor", "data", "points.lp");
      return { sink: { type: "file", path }, reader: new LineFileReader({ path }), settle: async () => {}, describe: `line-protocol file ${path}` };
    }
    case "victoria-metrics": {
      const server = await startVictoria(join(dir, "victoria-metrics"), choice.dedup ?? false);
      return {
        sink: { type: "influxdb", url: server.url, org: "fieldline", bucket: "telemetry" },
        reader: new VictoriaReader({ url: server.url }),
        settle: () => flushVictoria(server.url),
        describe: `VictoriaMetrics at ${server.url} (InfluxDB v2 write API)`,
        server,
      };
    }
    case "influxdb-v1": {
      const server = await startInfluxV1(join(dir, "influxd"));
      return {
        sink: { type: "influxdb-v1", url: server.url, database: "fieldline" },
        reader: new InfluxV1Reader({ url: server.url, db: "fieldline" }),
        settle: async () => {},
        describe: `influxd 1.6 at ${server.url}, database fieldline`,
        server,
      };
    }
    case "influxdb": {
      // VictoriaMetrics speaks the v2 write API too, and can be read back; InfluxDB 2 needs Flux.
      const isVictoria = await fetch(`${choice.url}/api/v1/status/tsdb`)
        .then(async (r) => (await r.body?.cancel(), r.ok))
        .catch(() => false);
      return {
        sink: { type: "influxdb", url: choice.url, ...(choice.token ? { token: choice.token } : {}), ...(choice.org ? { org: choice.org } : {}), ...(choice.bucket ? { bucket: choice.bucket } : {}) },
        reader: isVictoria ? new VictoriaReader({ url: choice.url }) : undefined,
        settle: isVictoria ? () => flushVictoria(choice.url) : async () => {},
        describe: `InfluxDB v2 API at ${choice.url}, bucket ${choice.bucket ?? "telemetry"}`,
      };
    }
  }
}
