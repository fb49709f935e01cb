/** SinkWriter against influxd 1.6: a bad batch is set aside, never dropped; a missing database is waited for. */
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InfluxV1Sink } from "../../src/sinks/influxdb-v1.ts";
import type { LineBatch } from "../../src/sinks/sink.ts";
import { SinkWriter } from "../../src/sinks/writer.ts";
import { influxQuery, startInfluxV1, type DbServer } from "../helpers/servers.ts";
import { waitFor } from "../helpers/fleet.ts";

const log = pino({ level: "silent" });
const opts = { maxBatchPoints: 1000, maxBufferedPoints: 10_000, retryInitialMs: 20, retryMaxMs: 100 };
const batch = (lines: string[]): LineBatch => ({ lines: lines.map((l) => l + "\n").join(""), points: lines.length });

describe("SinkWriter on influxd 1.6", () => {
  let db: DbServer;
  beforeAll(async () => {
    db = await startInfluxV1("fieldline");
  });
  afterAll(() => db.close());

  it("sets a batch the database refuses (field type conflict, HTTP 400) aside through the rejected hook", async () => {
    const rejected: LineBatch[] = [];
    const w = new SinkWriter(new InfluxV1Sink({ url: db.url, database: "fieldline" }), opts, log, {
      rejected: async (b) => void rejected.push(b),
    });
    await w.start();
    await w.enqueue(batch(["conflict,device=a value=1i 1000"]));
    await w.enqueue(batch(["conflict,device=a value=1.5 2000"]));
    await w.stop();
    expect(rejected).toHaveLength(1);
    expect(rejected[0]!.lines).toBe("conflict,device=a value=1.5 2000\n");
  });

  it("splits a partial write exactly: the stored lines are counted written, only the refused line is rejected", async () => {
    const rejected: LineBatch[] = [];
    let written = 0;
    const w = new SinkWriter(new InfluxV1Sink({ url: db.url, database: "fieldline" }), opts, log, {
      rejected: async (b) => void rejected.push(b),
      written: (n) => (written += n),
    });
    await w.start();
    await w.enqueue(batch(["partial,device=a value=1.5 1000"]));
    written = 0;
    // 2 of 3 lines fit; the middle one conflicts with the float field
    await w.enqueue(batch(["partial,device=a value=2.5 2000", "partial,device=a value=3i 3000", "partial,device=a value=4.5 4000"]));
    await w.stop();
    expect(rejected.map((b) => b.lines)).toEqual(["partial,device=a value=3i 3000\n"]);
    expect(written).toBe(2);
    const rows = await influxQuery(db.url, "fieldline", "SELECT value FROM partial");
    expect(rows.map((r) => r[1])).toEqual([1.5, 2.5, 4.5]);
  });

  it("keeps retrying while the database does not exist (404) and writes once it is created", async () => {
    const w = new SinkWriter(new InfluxV1Sink({ url: db.url, database: "later" }), opts, log);
    await w.start();
    let done = false;
    const p = w.enqueue(batch(["m,device=b value=7 1000", "m,device=b value=8 2000"])).then(() => (done = true));
    await waitFor("unhealthy", () => w.healthy, (h) => !h);
    expect(done).toBe(false);
    await fetch(`${db.url}/query?q=${encodeURIComponent('CREATE DATABASE "later"')}`, { method: "POST" }).then((r) => r.body?.cancel());
    await p;
    expect(w.healthy).toBe(true);
    const rows = await influxQuery(db.url, "later", "SELECT value FROM m");
    expect(rows.map((r) => r[1])).toEqual([7, 8]);
    await w.stop();
  });
});
