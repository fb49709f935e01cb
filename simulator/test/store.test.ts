import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseLine } from "../src/store/line-protocol";
import { LineFileReader } from "../src/store/file";
import { InfluxV1Reader } from "../src/store/influx-v1";
import { VictoriaReader } from "../src/store/victoria";
import type { StoreReader } from "../src/store/reader";
import { verify } from "../src/verify";
import { parseSpec } from "../src/spec/load";
import { simulate } from "../src/simulate";
import { MemoryTransport } from "../src/transports/memory";
import { MemoryTruth } from "../src/truth/writer";
import type { ReadingRecord } from "../src/truth/records";
import { startInfluxV1, startVictoria, type DbServer } from "./helpers/servers";

describe("line protocol parser", () => {
  it.each([
    ["telemetry,device=d-1,sensor=temp,site=a value=21.5 1767225600000", { measurement: "telemetry", tags: { device: "d-1", sensor: "temp", site: "a" }, fields: { value: 21.5 }, timestamp: 1767225600000 }],
    ["cpu\\ load,host=a\\,b\\ c n=3i,s=\"x \\\"y\\\", z\",ok=t", { measurement: "cpu load", tags: { host: "a,b c" }, fields: { n: 3, s: 'x "y", z', ok: true }, timestamp: undefined }],
    ["m v=-1.5e-7,w=12 5", { measurement: "m", tags: {}, fields: { v: -1.5e-7, w: 12 }, timestamp: 5 }],
  ])("%s", (line, expected) => expect(parseLine(line)).toEqual(expected));
  it("skips blanks and comments, rejects junk", () => {
    expect(parseLine("   ")).toBeUndefined();
    expect(parseLine("# comment")).toBeUndefined();
    expect(() => parseLine("justonepart")).toThrow(/malformed/);
  });
});

/** A small run's truth, and its readings as the processor's pipeline writes them (measurement telemetry, sorted tags, ms). */
async function sampleRun() {
  const truth = new MemoryTruth();
  await simulate(
    parseSpec(`
seed: 11
start: 2026-05-01T00:00:00Z
duration: 1h
profiles:
  p:
    sensors:
      temp: { interval: 5m, source: { type: sum, of: [ { type: sine, mean: 20, amplitude: 3 }, { type: noise, sigma: 0.25 } ] } }
      hum: { interval: 10m, round: 1, source: { type: randomWalk, start: 50, step: 2 } }
devices:
  - { profile: p, prefix: s-, count: 3, site: east }
`),
    { transport: new MemoryTransport({ keep: false }), truth },
  );
  const readings = truth.records.filter((r): r is ReadingRecord => r.type === "reading");
  const line = (r: ReadingRecord, value = r.value) => `telemetry,device=${r.device},sensor=${r.sensor},site=${r.site} value=${value} ${r.t}`;
  return { truth, readings, line };
}

interface Case {
  name: string;
  keepsDuplicates: boolean;
  tolerance: number;
  setup(): Promise<{ reader: StoreReader; write(lines: string): Promise<void>; close(): Promise<void> }>;
}

const cases: Case[] = [
  {
    name: "line-protocol file",
    keepsDuplicates: true,
    tolerance: 1e-12,
    async setup() {
      const dir = await mkdtemp(join(tmpdir(), "fl-sim-lp-"));
      const path = join(dir, "telemetry.lp");
      let text = "";
      return {
        reader: new LineFileReader({ path }),
        write: async (lines) => {
          text += lines;
          await writeFile(path, text);
        },
        close: () => rm(dir, { recursive: true, force: true }),
      };
    },
  },
  {
    name: "InfluxDB 1.6 /query",
    keepsDuplicates: false,
    tolerance: 1e-12,
    async setup() {
      const db: DbServer = await startInfluxV1("sim");
      return { reader: new InfluxV1Reader({ url: db.url, db: "sim", chunkSize: 7 }), write: db.write, close: db.close };
    },
  },
  {
    name: "VictoriaMetrics /api/v1/export",
    keepsDuplicates: true,
    tolerance: 1e-11,
    async setup() {
      const db = await startVictoria();
      return { reader: new VictoriaReader({ url: db.url }), write: db.write, close: db.close };
    },
  },
];

// One contract, every reader: an exact copy verifies clean; dropped, altered and foreign points are found.
describe.each(cases)("verify against $name", (c) => {
  let store: Awaited<ReturnType<Case["setup"]>>;
  let run: Awaited<ReturnType<typeof sampleRun>>;
  beforeAll(async () => {
    store = await c.setup();
    run = await sampleRun();
  });
  afterAll(() => store.close());

  it("finds missing, altered, duplicated and unexpected points", async () => {
    const r = run.readings;
    expect(r.length).toBe(3 * (12 + 6));
    const dropped = new Set([r[3], r[20]]);
    const altered = r[7]!;
    const lines = r.filter((x) => !dropped.has(x)).map((x) => (x === altered ? run.line(x, Number(x.value) + 0.5) : run.line(x)));
    lines.push(run.line(r[9]!)); // a second copy
    lines.push(`telemetry,device=s-0001,sensor=ghost,site=east value=1 ${r[0]!.t}`);
    lines.push(`telemetry,device=other-device,sensor=temp,site=east value=1 ${r[0]!.t}`); // not in this run: ignored
    await store.write(lines.join("\n") + "\n");
    const report = await verify(run.truth.records, store.reader, { tolerance: c.tolerance });
    expect(report).toMatchObject({
      ok: false,
      expected: r.length,
      missing: 2,
      altered: 1,
      unexpected: 1,
      duplicated: c.keepsDuplicates ? 1 : 0,
      matched: r.length - 3,
    });
    expect(report.examples.missing.map((m) => [m.device, m.sensor, m.t]).sort()).toEqual([...dropped].map((x) => [x!.device, x!.sensor, x!.t]).sort());
    expect(report.examples.altered[0]).toMatchObject({ device: altered.device, sensor: altered.sensor, t: altered.t, sent: altered.value });
  });

  it("an exact copy verifies clean", async () => {
    const fresh = await c.setup();
    try {
      await fresh.write(run.readings.map((x) => run.line(x)).join("\n") + "\n");
      const report = await verify(run.truth.records, fresh.reader, { tolerance: c.tolerance });
      expect(report).toMatchObject({ ok: true, expected: run.readings.length, matched: run.readings.length, missing: 0, altered: 0, duplicated: 0, unexpected: 0 });
    } finally {
      await fresh.close();
    }
  });
});

describe("verify by value (timestamps stamped downstream)", () => {
  it("ignores timestamps; finds missing, duplicated and unexpected values per device and sensor", async () => {
    const run = await sampleRun();
    const r = run.readings;
    const later = (x: ReadingRecord) => run.line({ ...x, t: x.t + 5 * 3_600_000 + 123 });
    const lines = r.slice(1).map(later);
    lines.push(later(r[5]!)); // a second copy
    lines.push(run.line({ ...r[6]!, value: 123456 })); // a value never sent
    const { MemoryStoreReader } = await import("../src/store/memory");
    const { parseLine: parse } = await import("../src/store/line-protocol");
    const points = lines.map((l) => {
      const p = parse(l)!;
      return { device: p.tags.device!, sensor: p.tags.sensor!, t: p.timestamp!, value: p.fields.value as number };
    });
    const report = await verify(run.truth.records, new MemoryStoreReader(points), { match: "value" });
    expect(report).toMatchObject({ ok: false, expected: r.length, matched: r.length - 1, missing: 1, duplicated: 1, unexpected: 1, altered: 0 });
    expect(report.examples.missing[0]).toMatchObject({ device: r[0]!.device, sensor: r[0]!.sensor });
    const byTime = await verify(run.truth.records, new MemoryStoreReader(points));
    expect(byTime).toMatchObject({ missing: r.length - 1, altered: 1 }); // only the foreign value kept its timestamp
  });
});
