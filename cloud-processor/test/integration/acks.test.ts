/**
 * PUBACKs go out only when a message's work is durable, and in the order the PUBLISHes
 * arrived (MQTT-4.6.0-2), even when later messages finish first. Observed from the broker:
 * Aedes emits 'ack' with the original packet when a subscriber's PUBACK arrives.
 */
import { topics } from "@fieldline/firmware-contracts";
import type { MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Processor } from "../../src/processor.ts";
import { connect, publishTelemetry, telemetry, testConfig, waitFor } from "../helpers/fleet.ts";
import { startBroker, startInfluxV1, tempDir, type DbServer, type TestBroker } from "../helpers/servers.ts";

describe("acknowledgements", () => {
  let broker: TestBroker;
  let db: DbServer;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let pub: MqttClient;

  beforeAll(async () => {
    [broker, db, dir] = await Promise.all([startBroker(), startInfluxV1(), tempDir()]);
    pub = await connect(broker.url);
  });
  afterAll(async () => {
    await pub?.endAsync();
    await Promise.all([broker?.close(), db?.close()]);
    await dir?.remove();
  });

  it("acks a bad payload and a duplicate only after an earlier message's points are written, in order", async () => {
    const proc = new Processor(
      testConfig({
        dataDir: dir.path,
        mqtt: { url: broker.url, clientId: "proc-acks" },
        sink: { type: "influxdb-v1", url: db.url, database: "fieldline", timeoutMs: 1000 },
        detection: { enabled: false },
      }),
    );
    const acked: string[] = [];
    broker.broker.on("ack", (packet, client) => {
      if (client?.id !== "proc-acks" || !packet || !("payload" in packet)) return;
      const p = Buffer.from(packet.payload as Buffer);
      acked.push(p[0] === 0xff ? "bad" : `telemetry:${p.length}`);
    });
    await proc.start();
    await proc.session.ready;
    try {
      await publishTelemetry(pub, "s1", telemetry("ack1", "b", 0, 10)); // written at once
      await waitFor("first ack", () => acked.length, (n) => n === 1);

      await db.stop();
      await publishTelemetry(pub, "s1", telemetry("ack1", "b", 1, 3)); // waits for the database
      await pub.publishAsync(topics.telemetry({ site: "s1", device: "ack1" }), Buffer.from([0xff]), { qos: 1 }); // dead letter
      await publishTelemetry(pub, "s1", telemetry("ack1", "b", 0, 10)); // duplicate of the first
      await waitFor("all three received", () => proc.health().unacked, (n) => n === 3);
      await new Promise((r) => setTimeout(r, 300));
      expect(acked).toHaveLength(1); // the dead letter and the duplicate wait behind the unwritten message

      await db.restart();
      await waitFor("all acknowledged", () => acked.length, (n) => n === 4);
      // In arrival order: the 3-reading message, the dead letter, the 10-reading duplicate.
      expect(acked[2]).toBe("bad");
      expect(acked[1]).not.toBe(acked[0]);
      expect(acked[3]).toBe(acked[0]);
    } finally {
      await proc.stop();
    }
  });
});
