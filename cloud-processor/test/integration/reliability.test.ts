/**
 * Nothing lost: a database outage in the middle of a stream, and a processor restart that
 * resumes from its persistent MQTT session (clean: false, fixed client id).
 */
import { access, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Processor } from "../../src/processor.ts";
import { connect, metric, publishTelemetry, telemetry, testConfig, waitFor } from "../helpers/fleet.ts";
import { influxQuery, startBroker, startInfluxV1, tempDir, type DbServer, type TestBroker } from "../helpers/servers.ts";

const count = async (db: DbServer, device: string) =>
  Number((await influxQuery(db.url, "fieldline", `SELECT count(value) FROM telemetry WHERE device='${device}'`))[0]?.[1] ?? 0);

describe("reliability", () => {
  let broker: TestBroker;
  let db: DbServer;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let pub: MqttClient;
  const config = () =>
    testConfig({
      dataDir: dir.path,
      mqtt: { url: broker.url, clientId: "proc-rel", maxInflight: 5000 },
      sink: { type: "influxdb-v1", url: db.url, database: "fieldline", timeoutMs: 1000 },
      writer: { maxBufferedPoints: 300, maxBatchPoints: 100, retryInitialMs: 50, retryMaxMs: 200 },
      detection: { checkpointIntervalMs: 0 },
    });

  beforeAll(async () => {
    [broker, db, dir] = await Promise.all([startBroker(), startInfluxV1(), tempDir()]);
    pub = await connect(broker.url);
  });

  afterAll(async () => {
    await pub?.endAsync();
    await Promise.all([broker?.close(), db?.close()]);
    await dir?.remove();
  });

  it("a database outage mid-stream loses nothing: buffers to its bound, pauses ingest, then catches up", async () => {
    const proc = new Processor(config());
    await proc.start();
    await proc.session.ready;
    try {
      for (let seq = 0; seq < 50; seq++) await publishTelemetry(pub, "s1", telemetry("out", "b", seq));
      await waitFor("first half", () => count(db, "out"), (n) => n === 500, 5000);

      await db.stop();
      for (let seq = 50; seq < 150; seq++) await publishTelemetry(pub, "s1", telemetry("out", "b", seq));
      await waitFor("ingest paused by backpressure", () => proc.health(), (h) => h.paused && !h.sink, 8000);
      const h = proc.health();
      expect(h.bufferedPoints).toBeLessThanOrEqual(300 + 10);
      expect(h.unacked).toBeGreaterThan(0);
      expect((await fetch(`${proc.api.url}/healthz`)).status).toBe(503);

      await db.restart();
      await waitFor("everything after the outage", () => count(db, "out"), (n) => n === 1500, 15_000);
      await waitFor("all acknowledged", () => proc.health(), (x) => x.unacked === 0 && !x.paused && x.sink);
      expect(await metric(proc.api.url, "fieldline_processor_sink_errors_total")).toBeGreaterThan(0);
      expect(await metric(proc.api.url, "fieldline_processor_sink_points_rejected_total")).toBe(0);
    } finally {
      await proc.stop();
    }
  });

  it("a processor restart resumes from the persistent session, with warm detectors", async () => {
    const first = new Processor(config());
    await first.start();
    await first.session.ready;
    for (let seq = 0; seq < 20; seq++) await publishTelemetry(pub, "s1", telemetry("rs", "b", seq));
    await waitFor("before the restart", () => count(db, "rs"), (n) => n === 200);
    await waitFor("acknowledged", () => first.health().unacked, (n) => n === 0);
    const series = first.detection!.series;
    expect(series).toBeGreaterThan(0);
    await first.stop();
    await access(join(dir.path, "detectors.json"));

    // Published while no processor runs: the broker queues them for the session.
    for (let seq = 20; seq < 60; seq++) await publishTelemetry(pub, "s1", telemetry("rs", "b", seq));

    const second = new Processor(config());
    await second.start();
    try {
      expect(second.detection!.series).toBe(series);
      await waitFor("everything published while down", () => count(db, "rs"), (n) => n === 600);
      expect(await metric(second.api.url, "fieldline_processor_duplicates_total")).toBe(0);
    } finally {
      await second.stop();
    }
  });

  it("a crash while the database is down loses nothing: unwritten messages were never acknowledged", async () => {
    const crashing = new Processor(config());
    await crashing.start();
    await crashing.session.ready;
    await db.stop();
    for (let seq = 0; seq < 30; seq++) await publishTelemetry(pub, "s1", telemetry("crash", "b", seq));
    await waitFor("received, not acknowledged", () => crashing.health(), (h) => h.unacked > 0 && !h.sink);
    // Crash: the connection drops without a DISCONNECT and the in-memory buffer is lost.
    crashing.session.mqtt.end(true);
    await crashing.writer.stop(0);
    await db.restart();
    expect(await count(db, "crash")).toBe(0);
    const next = new Processor(config());
    await next.start();
    try {
      await waitFor("everything the crashed processor had not written", () => count(db, "crash"), (n) => n === 300);
    } finally {
      await next.stop();
      await crashing.stop().catch(() => {});
    }
  });

  it("a redelivered copy is not acknowledged before the first copy is written: a stop meanwhile loses nothing", async () => {
    const first = new Processor(config());
    await first.start();
    await first.session.ready;
    await db.stop();
    await publishTelemetry(pub, "s1", telemetry("redeliv", "b", 0));
    await waitFor("received, not written", () => first.health(), (h) => h.unacked === 1);
    // The connection drops; the broker redelivers the unacknowledged message on the next one.
    (first.session.mqtt as unknown as { stream: { destroy(): void } }).stream.destroy();
    await waitFor("the copy arrived", () => metric(first.api.url, "fieldline_processor_duplicates_total"), (n) => n >= 1);
    await first.stop(100); // the first copy is never written
    await db.restart();
    const next = new Processor(config());
    await next.start();
    try {
      await waitFor("the message, redelivered once more and written", () => count(db, "redeliv"), (n) => n === 10);
    } finally {
      await next.stop();
    }
  });

  it("rule state survives a restart: an alert raised before the restart clears after it", async () => {
    const rulesFile = join(dir.path, "rules.yaml");
    await writeFile(rulesFile, "rules:\n  - id: hot\n    when:\n      threshold: { sensor: temp, above: 50 }\n");
    const cfg = () => ({ ...config(), rules: { ...config().rules, file: rulesFile, wallClock: false } });
    const hot = async (p: Processor) =>
      ((await (await fetch(`${p.api.url}/alerts`)).json()) as { rule: string; device: string }[]).filter((a) => a.rule === "hot" && a.device === "rr");
    const first = new Processor(cfg());
    await first.start();
    await first.session.ready;
    await publishTelemetry(pub, "s1", telemetry("rr", "b", 0, 1, () => 60));
    await waitFor("raised", () => hot(first), (l) => l.length === 1);
    await waitFor("acknowledged", () => first.health().unacked, (n) => n === 0);
    await first.stop();

    const second = new Processor(cfg());
    await second.start();
    try {
      expect(await hot(second)).toHaveLength(1); // the active set is restored from the history
      await publishTelemetry(pub, "s1", telemetry("rr", "b", 1, 1, () => 10));
      await waitFor("cleared after the restart", () => hot(second), (l) => l.length === 0);
    } finally {
      await second.stop();
    }
  });
});
