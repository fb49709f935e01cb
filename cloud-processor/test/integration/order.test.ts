/**
 * The rules see each device's telemetry in the order the device sent it, whatever order the
 * broker delivers it in: a backlog redelivered after live messages (as after a restart) still
 * raises the alert its readings call for. Real broker, real processor, file sink.
 */
import { join } from "node:path";
import type { MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFile, writeFile } from "node:fs/promises";
import { Processor } from "../../src/processor.ts";
import { connect, metric, publishTelemetry, telemetry, testConfig, waitFor } from "../helpers/fleet.ts";
import { startBroker, tempDir, type TestBroker } from "../helpers/servers.ts";

type AlertRow = { rule: string; device: string; state: string };

describe("order: rules see a device's messages in seq order", () => {
  let broker: TestBroker;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let pub: MqttClient;
  let rulesFile: string;
  const config = (clientId: string, data: string) =>
    testConfig({
      dataDir: join(dir.path, data),
      mqtt: { url: broker.url, clientId },
      sink: { type: "file", path: join(dir.path, data, "points.lp") },
      detection: { enabled: false },
      rules: { file: rulesFile, wallClock: false, reorderMs: 60_000 },
    });
  const hot = (i: number) => (i >= 10 && i < 20 ? 80 : 20); // readings 10-19 (message 1) are hot
  /** Every alert transition the processor recorded (raised and cleared alike). */
  const history = async (p: Processor) =>
    (await readFile(join(p.cfg.dataDir, "alerts.jsonl"), "utf8").catch(() => ""))
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as AlertRow)
      .filter((a) => a.rule === "hot" && a.state === "raised");

  beforeAll(async () => {
    [broker, dir] = await Promise.all([startBroker(), tempDir()]);
    pub = await connect(broker.url);
    rulesFile = join(dir.path, "rules.yaml");
    await writeFile(rulesFile, "rules:\n  - id: hot\n    when:\n      threshold: { sensor: temp, above: 50 }\n");
  });

  afterAll(async () => {
    await pub?.endAsync();
    await broker?.close();
    await dir?.remove();
  });

  it("a message delivered after a later one is still evaluated before it", async () => {
    const proc = new Processor(config("proc-order-1", "one"));
    await proc.start();
    await proc.session.ready;
    try {
      await publishTelemetry(pub, "s1", telemetry("dev-a", "b", 0, 10, hot));
      await publishTelemetry(pub, "s1", telemetry("dev-a", "b", 2, 10, hot)); // overtakes seq 1
      await publishTelemetry(pub, "s1", telemetry("dev-a", "b", 1, 10, hot)); // the hot one, late
      await waitFor("alert raised for the late hot readings", () => history(proc), (l) => l.some((a) => a.device === "dev-a"));
    } finally {
      await proc.stop();
    }
  });

  it("after a restart, live messages ahead of the redelivered backlog wait for it", async () => {
    const first = new Processor(config("proc-order-2", "two"));
    await first.start();
    await first.session.ready;
    await publishTelemetry(pub, "s1", telemetry("dev-b", "b", 0, 10, hot));
    await waitFor("acknowledged", () => first.health().unacked, (n) => n === 0);
    await first.stop();

    const second = new Processor(config("proc-order-2", "two"));
    await second.start();
    await second.session.ready;
    try {
      // Live messages first, then the backlog: the order a resumed session can deliver in.
      await publishTelemetry(pub, "s1", telemetry("dev-b", "b", 3, 10, hot));
      await publishTelemetry(pub, "s1", telemetry("dev-b", "b", 2, 10, hot));
      await publishTelemetry(pub, "s1", telemetry("dev-b", "b", 1, 10, hot));
      await waitFor("alert raised for the backlog's hot readings", () => history(second), (l) => l.some((a) => a.device === "dev-b"));
      expect(await metric(second.api.url, "fieldline_processor_rules_gap_seqs_given_up_total")).toBe(0);
    } finally {
      await second.stop();
    }
  });

  it("a gap that never fills is given up after rules.reorderMs, counted, and the rules go on", async () => {
    const cfg = config("proc-order-3", "three");
    cfg.rules.reorderMs = 300;
    const proc = new Processor(cfg);
    await proc.start();
    await proc.session.ready;
    try {
      await publishTelemetry(pub, "s1", telemetry("dev-c", "b", 0, 10, () => 20));
      await publishTelemetry(pub, "s1", telemetry("dev-c", "b", 2, 10, () => 80)); // seq 1 never comes
      await waitFor("gap given up", () => metric(proc.api.url, "fieldline_processor_rules_gap_seqs_given_up_total"), (n) => n === 1);
      await waitFor("alert raised once the gap was given up", () => history(proc), (l) => l.some((a) => a.device === "dev-c"));
    } finally {
      await proc.stop();
    }
  });

  it("a reading stamped in the year 3000 is kept from the rules: the device's alerts still fire", async () => {
    const proc = new Processor(config("proc-order-4", "four"));
    await proc.start();
    await proc.session.ready;
    try {
      const future = { ...telemetry("dev-d", "b", 0, 1, () => 20) };
      future.readings = [{ sensor: "temp", t: Date.UTC(3000, 0, 1), value: 20 }];
      await publishTelemetry(pub, "s1", future);
      await publishTelemetry(pub, "s1", telemetry("dev-d", "b", 1, 10, () => 80));
      await waitFor("alert raised after the far-future reading", () => history(proc), (l) => l.some((a) => a.device === "dev-d"));
      expect(await metric(proc.api.url, "fieldline_processor_rules_time_quarantined_readings_total")).toBe(1);
    } finally {
      await proc.stop();
    }
  });

  it("positions are saved only by a graceful stop and removed once read, so a crash leaves none", async () => {
    const path = join(dir.path, "five", "rules-order.json");
    const exists = () => readFile(path, "utf8").then(() => true, () => false);
    const first = new Processor(config("proc-order-5", "five"));
    await first.start();
    await first.session.ready;
    await publishTelemetry(pub, "s1", telemetry("dev-e", "b", 0, 10, () => 20));
    await waitFor("acknowledged", () => first.health().unacked, (n) => n === 0);
    expect(await exists()).toBe(false); // running: a crash now would leave no positions
    await first.stop();
    expect(JSON.parse(await readFile(path, "utf8"))).toMatchObject({ "dev-e": { boot: "b", next: 1 } });
    const second = new Processor(config("proc-order-5", "five"));
    await second.start();
    try {
      expect(await exists()).toBe(false); // read, then removed
    } finally {
      await second.stop();
    }
  });
});
