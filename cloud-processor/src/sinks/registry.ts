/** Sink kinds by name: the config's `sink.type` picks one; nothing else switches on kinds. */
import { FileSink } from "./file.ts";
import { InfluxV2Sink } from "./influxdb.ts";
import { InfluxV1Sink } from "./influxdb-v1.ts";
import type { Sink } from "./sink.ts";
import type { SinkConfig } from "../config.ts";

type SinkOf<T extends SinkConfig["type"]> = (cfg: Extract<SinkConfig, { type: T }>) => Sink;

export const sinkRegistry: { [T in SinkConfig["type"]]: SinkOf<T> } = {
  file: (c) => new FileSink({ path: c.path, fsync: c.fsync }),
  influxdb: (c) => new InfluxV2Sink({ url: c.url, token: c.token, org: c.org, bucket: c.bucket, timeoutMs: c.timeoutMs }),
  "influxdb-v1": (c) =>
    new InfluxV1Sink({
      url: c.url,
      database: c.database,
      username: c.username,
      password: c.password,
      retentionPolicy: c.retentionPolicy,
      timeoutMs: c.timeoutMs,
    }),
};

export function createSink(cfg: SinkConfig): Sink {
  return (sinkRegistry[cfg.type] as SinkOf<typeof cfg.type>)(cfg as never);
}
