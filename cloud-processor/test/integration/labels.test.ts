/**
 * Label-scoped rules in production: the processor learns each device's labels from its
 * retained `state` message and resolves rule scopes with them. Real broker and processor.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { encodePayload, topics } from "@fieldline/firmware-contracts";
import type { MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Processor } from "../../src/processor.ts";
import { connect, publishTelemetry, telemetry, testConfig, waitFor } from "../helpers/fleet.ts";
import { startBroker, tempDir, type TestBroker } from "../helpers/servers.ts";

describe("label-scoped rules from the devices' state messages", () => {
  let broker: TestBroker;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let pub: MqttClient;

  beforeAll(async () => {
    [broker, dir] = await Promise.all([startBroker(), tempDir()]);
    pub = await connect(broker.url);
  });
  afterAll(async () => {
    await pub?.endAsync();
    await broker?.close();
    await dir?.remove();
  });

  const state = (device: string, labels?: Record<string, string>) =>
    pub.publishAsync(
      topics.state({ site: "s1", device }),
      Buffer.from(encodePayload("state", { v: 1, device, boot: "b", seq: 0, t: Date.now(), status: "online", ...(labels ? { labels } : {}) })),
      { qos: 1, retain: true },
    );

  it("fires a rule scoped by a label only for the devices that carry it", async () => {
    const rulesFile = join(dir.path, "rules.yaml");
    await writeFile(rulesFile, "rules:\n  - id: boiler-hot\n    scope: { labels: { kind: boiler } }\n    when:\n      threshold: { sensor: temp, above: 50 }\n");
    await state("lab-boiler", { kind: "boiler", floor: "2" });
    await state("lab-pump", { kind: "pump" });
    const proc = new Processor(testConfig({ dataDir: dir.path, mqtt: { url: broker.url, clientId: "proc-labels" }, detection: { enabled: false }, rules: { file: rulesFile, wallClock: false } }));
    await proc.start();
    await proc.session.ready;
    try {
      // the retained state messages arrive on subscribing; the readings only after them
      const known = () => (proc.rules as unknown as { labels: { size: number } }).labels.size;
      await waitFor("labels of both devices", known, (n) => n === 2);
      await publishTelemetry(pub, "s1", telemetry("lab-pump", "b", 0, 5, () => 80));
      await publishTelemetry(pub, "s1", telemetry("lab-boiler", "b", 0, 5, () => 80));
      const raised = async () =>
        (await readFile(join(dir.path, "alerts.jsonl"), "utf8").catch(() => ""))
          .split("\n")
          .filter(Boolean)
          .map((l) => JSON.parse(l) as { device: string; state: string })
          .filter((a) => a.state === "raised")
          .map((a) => a.device);
      await waitFor("boiler alert", raised, (d) => d.includes("lab-boiler"));
      expect(await raised()).not.toContain("lab-pump");
    } finally {
      await proc.stop();
    }
  });
});
