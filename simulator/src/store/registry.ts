/** Store kind -> reader; `verify --store <kind>` picks one. */
import { LineFileReader } from "./file";
import { InfluxV1Reader } from "./influx-v1";
import type { StoreLayout, StoreReader } from "./reader";
import { VictoriaReader } from "./victoria";

export interface StoreOptions {
  /** file: path; influxdb-v1 and victoria-metrics: base URL. */
  target: string;
  db?: string;
  username?: string;
  password?: string;
  precision?: "ms" | "s" | "us" | "ns";
  layout?: StoreLayout;
}

export const storeReaders: Record<string, (o: StoreOptions) => StoreReader> = {
  file: (o) => new LineFileReader({ path: o.target, ...(o.precision ? { precision: o.precision } : {}), ...(o.layout ? { layout: o.layout } : {}) }),
  "influxdb-v1": (o) =>
    new InfluxV1Reader({
      url: o.target,
      db: o.db ?? "fieldline",
      ...(o.username !== undefined ? { username: o.username } : {}),
      ...(o.password !== undefined ? { password: o.password } : {}),
      ...(o.layout ? { layout: o.layout } : {}),
    }),
  "victoria-metrics": (o) => new VictoriaReader({ url: o.target, ...(o.layout ? { layout: o.layout } : {}) }),
};

export function createStoreReader(kind: string, o: StoreOptions): StoreReader {
  const make = storeReaders[kind];
  if (!make) throw new Error(`unknown store ${JSON.stringify(kind)}; known: ${Object.keys(storeReaders).join(", ")}`);
  return make(o);
}
