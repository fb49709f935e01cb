/** A StoreReader over points already in memory (e.g. telemetry collected from MQTT in a test). */
import type { StoreQuery, StoreReader, StoredPoint } from "./reader";

export class MemoryStoreReader implements StoreReader {
  readonly name = "memory";
  constructor(private readonly points: readonly StoredPoint[]) {}

  async *read(q: StoreQuery): AsyncIterable<StoredPoint> {
    for (const p of this.points) if (p.t >= q.start && p.t < q.end) yield p;
  }
}
