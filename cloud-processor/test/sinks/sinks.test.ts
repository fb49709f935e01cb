import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { FileSink } from "../../src/sinks/file.ts";
import { InfluxV2Sink } from "../../src/sinks/influxdb.ts";
import { InfluxV1Sink } from "../../src/sinks/influxdb-v1.ts";
import { influxQuery, startInfluxV1, startVictoria, tempDir, vmExport } from "../helpers/servers.ts";
import { sinkContract, type StoredPoint } from "./contract.ts";

/** Parses our own line protocol back; the last line of a series and timestamp wins (as a database would). */
function parseLines(text: string): StoredPoint[] {
  const last = new Map<string, StoredPoint>();
  for (const line of text.split("\n")) {
    if (!line.startsWith("telemetry,")) continue;
    const [head, fields, t] = line.split(" ") as [string, string, string];
    const tags = Object.fromEntries(head.split(",").slice(1).map((kv) => kv.split("=") as [string, string]));
    const value = Number(/(?:^|,)value=([^,]+)/.exec(fields)![1]);
    const p = { device: tags.device!, sensor: tags.sensor!, t: Number(t), value };
    last.set(`${p.device}/${p.sensor}/${p.t}`, p);
  }
  return [...last.values()];
}

sinkContract("file", async () => {
  const dir = await tempDir();
  const path = join(dir.path, "points.lp");
  return {
    sink: new FileSink({ path }),
    read: async () => parseLines(await readFile(path, "utf8")),
    tolerance: 0,
    close: () => dir.remove(),
  };
});

sinkContract("influxdb-v1 (influxd 1.6)", async () => {
  const db = await startInfluxV1("fieldline");
  return {
    sink: new InfluxV1Sink({ url: db.url, database: "fieldline", timeoutMs: 2000 }),
    read: async () =>
      (await influxQuery(db.url, "fieldline", "SELECT value, device, sensor FROM telemetry")).map((r) => ({
        t: r[0] as number,
        value: r[1] as number,
        device: r[2] as string,
        sensor: r[3] as string,
      })),
    tolerance: 0,
    outage: { down: () => db.stop(), up: () => db.restart() },
    close: () => db.close(),
  };
});

sinkContract("influxdb v2 API (VictoriaMetrics)", async () => {
  const db = await startVictoria();
  return {
    sink: new InfluxV2Sink({ url: db.url, org: "fieldline", bucket: "telemetry", timeoutMs: 2000 }),
    read: async () =>
      (await vmExport(db.url, "telemetry_value")).flatMap((s) =>
        s.timestamps.map((t, i) => ({ t, value: s.values[i]!, device: s.metric.device!, sensor: s.metric.sensor! })),
      ),
    tolerance: 1e-11,
    outage: { down: () => db.stop(), up: () => db.restart() },
    close: () => db.close(),
  };
});
