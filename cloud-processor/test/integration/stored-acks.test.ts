/**
 * End-to-end acknowledgements: the processor tells a device which telemetry messages are
 * durably stored, on the device's `stored` topic, only after the sink write; a re-sent
 * duplicate is confirmed again. Real broker, real processor, influxd 1.x as the sink.
 */
import { decodePayload, topics, type Stored } from "@fieldline/firmware-contracts";
import type { MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Processor } from "../../src/processor.ts";
import { toRanges } from "../../src/ingest/stored-acks.ts";
import { connect, publishTelemetry, telemetry, testConfig, waitFor } from "../helpers/fleet.ts";
import { influxQuery, startBroker, startInfluxV1, tempDir, type DbServer, type TestBroker } from "../helpers/servers.ts";

const count = async (db: DbServer, device: string) =>
  Number((await influxQuery(db.url, "fieldline", `SELECT count(value) FROM telemetry WHERE device='${device}'`))[0]?.[1] ?? 0);

describe("stored acknowledgements", () => {
  let broker: TestBroker;
  let db: DbServer;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let dev: MqttClient;
  const acks: Stored[] = [];
  const confirmed = (boot: string) => new Set(acks.filter((a) => a.boot === boot).flatMap((a) => a.seqs.flatMap(([f, t]) => Array.from({ length: t - f + 1 }, (_, i) => f + i))));

  beforeAll(async () => {
    [broker, db, dir] = await Promise.all([startBroker(), startInfluxV1(), tempDir()]);
    dev = await connect(broker.url);
    dev.on("message", (_topic, payload) => {
      const r = decodePayload("stored", payload);
      if (r.ok) acks.push(r.value);
    });
    await dev.subscribeAsync(topics.stored({ site: "s1", device: "ack-dev" }), { qos: 1 });
  });

  afterAll(async () => {
    await dev?.endAsync();
    await Promise.all([broker?.close(), db?.close()]);
    await dir?.remove();
  });

  it("toRanges folds seqs in any order into ascending ranges", () => {
    expect(toRanges([5, 1, 2, 3, 9, 2, 10, 7])).toEqual([[1, 3], [5, 5], [7, 7], [9, 10]]);
    expect(toRanges([])).toEqual([]);
  });

  it("confirms only after the sink write, and confirms a duplicate again", async () => {
    const proc = new Processor(
      testConfig({
        dataDir: dir.path,
        mqtt: { url: broker.url, clientId: "proc-acks", storedAckMs: 20 },
        sink: { type: "influxdb-v1", url: db.url, database: "fieldline", timeoutMs: 1000 },
        writer: { retryInitialMs: 50, retryMaxMs: 200 },
        detection: { enabled: false },
      }),
    );
    await proc.start();
    await proc.session.ready;
    try {
      await db.stop(); // nothing can be stored: nothing may be confirmed
      for (let seq = 0; seq < 5; seq++) await publishTelemetry(dev, "s1", telemetry("ack-dev", "b1", seq));
      await waitFor("received", () => proc.health().unacked, (n) => n === 5);
      await new Promise((r) => setTimeout(r, 300)); // several confirmation intervals pass
      expect(confirmed("b1").size).toBe(0);
      await db.restart();
      await waitFor("all confirmed once stored", () => confirmed("b1").size, (n) => n === 5);
      expect(await count(db, "ack-dev")).toBe(50);

      const before = acks.length;
      await publishTelemetry(dev, "s1", telemetry("ack-dev", "b1", 2)); // a re-send
      await waitFor("the duplicate confirmed again", () => acks.length, (n) => n > before);
      expect(acks.slice(before).some((a) => a.seqs.some(([f, t]) => f <= 2 && 2 <= t))).toBe(true);
      expect(await count(db, "ack-dev")).toBe(50);
    } finally {
      await proc.stop();
    }
  });
});
