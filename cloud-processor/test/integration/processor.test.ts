/**
 * The processor end to end against real servers: Aedes on TCP and influxd 1.6 over its v1
 * write API (and VictoriaMetrics over the v2 write API). Counts and values are read back.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { decodePayload, topicFilter, topics, type Alert } from "@fieldline/firmware-contracts";
import type { MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Processor } from "../../src/processor.ts";
import { T0, connect, metric, publishTelemetry, telemetry, testConfig, waitFor } from "../helpers/fleet.ts";
import { influxQuery, startBroker, startInfluxV1, startVictoria, tempDir, vmExport, type DbServer, type TestBroker } from "../helpers/servers.ts";

const count = async (db: DbServer, where = "") =>
  Number((await influxQuery(db.url, "fieldline", `SELECT count(value) FROM telemetry ${where}`))[0]?.[1] ?? 0);

describe("processor -> influxd 1.6", () => {
  let broker: TestBroker;
  let db: DbServer;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let proc: Processor;
  let pub: MqttClient;
  let api: string;

  beforeAll(async () => {
    [broker, db, dir] = await Promise.all([startBroker(), startInfluxV1(), tempDir()]);
    proc = new Processor(
      testConfig({
        dataDir: dir.path,
        mqtt: { url: broker.url, clientId: "proc-e2e" },
        sink: { type: "influxdb-v1", url: db.url, database: "fieldline" },
      }),
    );
    await proc.start();
    await proc.session.ready;
    api = proc.api.url;
    pub = await connect(broker.url);
  });

  afterAll(async () => {
    await pub?.endAsync();
    await proc?.stop();
    await Promise.all([broker?.close(), db?.close()]);
    await dir?.remove();
  });

  it("writes every reading once: duplicates dropped, gaps and reboots counted, bad payloads dead-lettered", async () => {
    for (let seq = 0; seq < 20; seq++) {
      if (seq === 15) continue; // a gap
      await publishTelemetry(pub, "s1", telemetry("d1", "boot-a", seq));
    }
    await publishTelemetry(pub, "s1", telemetry("d1", "boot-a", 3)); // redelivered duplicate
    await publishTelemetry(pub, "s1", telemetry("d1", "boot-b", 0, 10, () => 7)); // reboot, same timestamps as seq 0
    const topic = topics.telemetry({ site: "s1", device: "d1" });
    await pub.publishAsync(topic, Buffer.from([0xff, 0x00, 0x13]), { qos: 1 }); // not CBOR
    await pub.publishAsync(topic, Buffer.from([0xa1, 0x61, 0x76, 0x02]), { qos: 1 }); // {v: 2}

    const n = await waitFor("19 messages in influxd", () => count(db), (c) => c >= 190);
    expect(n).toBe(190); // 19 x 10; boot-b overwrote boot-a seq 0 (same series and timestamps)
    const v = await influxQuery(db.url, "fieldline", `SELECT value FROM telemetry WHERE device='d1' AND time = ${T0 + 15_000}ms`);
    expect(v[0]?.[1]).toBeCloseTo(21.5, 12);
    const rebooted = await influxQuery(db.url, "fieldline", `SELECT value FROM telemetry WHERE device='d1' AND time = ${T0}ms`);
    expect(rebooted[0]?.[1]).toBe(7);

    const dead = await waitFor(
      "2 dead letters",
      async () => (await readFile(join(dir.path, "dead-letters.jsonl"), "utf8")).trim().split("\n").map((l) => JSON.parse(l)),
      (d) => d.length === 2,
    );
    expect(dead.map((d) => d.reason)).toEqual(["cbor", "version"]);
    expect(dead[0]).toMatchObject({ topic, hex: "ff0013" });

    expect(await metric(api, "fieldline_processor_duplicates_total")).toBe(1);
    expect(await metric(api, "fieldline_processor_seq_gaps_total")).toBe(1);
    expect(await metric(api, "fieldline_processor_seq_missing_total")).toBe(1);
    expect(await metric(api, "fieldline_processor_reboots_total")).toBe(2);
    expect(await metric(api, "fieldline_processor_bad_payloads_total")).toBe(2);
    await waitFor("all acknowledged", () => proc.session.inflight, (x) => x === 0);
    const h = await fetch(`${api}/healthz`);
    expect(h.status).toBe(200);
    expect(await h.json()).toMatchObject({ ok: true, mqtt: true, sink: true });
  });

  it("applies rules over HTTP, pushes them as retained desired config, and runs the alert lifecycle over MQTT", async () => {
    const bad = await fetch(`${api}/rules`, { method: "PUT", body: "rules:\n  - id: x\n    when: { threshold: { sensor: temp } }\n" });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { issues: unknown[] }).issues.length).toBeGreaterThan(0);

    const yaml = "rules:\n  - id: hot\n    severity: critical\n    when:\n      threshold: { sensor: temp, above: 50 }\n";
    const valid = await fetch(`${api}/rules/validate`, { method: "POST", body: yaml });
    expect(await valid.json()).toMatchObject({ ok: true, rules: 1 });
    const put = await fetch(`${api}/rules`, { method: "PUT", body: yaml });
    expect(await put.json()).toMatchObject({ ok: true, version: 1 });
    expect(await (await fetch(`${api}/rules`)).json()).toEqual({ version: 1, yaml });

    // The device's retained desired config.
    const watcher = await connect(broker.url);
    const got: { topic: string; payload: Buffer; retain: boolean }[] = [];
    watcher.on("message", (topic, payload, packet) => got.push({ topic, payload, retain: packet.retain }));
    await watcher.subscribeAsync([topics.desiredConfig({ site: "s1", device: "d1" }), topicFilter("alerts")], { qos: 1 });
    const desired = await waitFor("desired config", () => got.find((m) => m.topic.endsWith("config/desired")), Boolean);
    const dc = decodePayload("desiredConfig", desired!.payload);
    expect(dc.ok && dc.value).toMatchObject({ version: 1, rules: yaml });

    await publishTelemetry(pub, "s1", telemetry("d1", "boot-b", 1, 1, () => 60));
    const alertTopic = topics.alert({ site: "s1", device: "d1" }, "hot");
    const raised = await waitFor("raised alert", () => got.find((m) => m.topic === alertTopic), Boolean);
    const a = decodePayload("alerts", raised!.payload);
    expect(a.ok && a.value).toMatchObject({ state: "raised", severity: "critical", rule: "hot", device: "d1", value: 60 });

    const list = ((await (await fetch(`${api}/alerts`)).json()) as Alert[]).filter((x) => x.rule === "hot");
    expect(list).toHaveLength(1);
    const ack = await fetch(`${api}/alerts/${encodeURIComponent(list[0]!.id)}/ack`, { method: "POST", body: JSON.stringify({ by: "alice" }) });
    expect(await ack.json()).toMatchObject({ state: "acknowledged", ackBy: "alice" });
    expect((await fetch(`${api}/alerts/nope/ack`, { method: "POST" })).status).toBe(404);

    // A newcomer sees the retained active alert (acknowledged).
    const late = await connect(broker.url);
    const retained: Buffer[] = [];
    late.on("message", (_t, p) => retained.push(p));
    await late.subscribeAsync(alertTopic, { qos: 1 });
    await waitFor("retained alert", () => retained.length, (n) => n > 0);
    const r = decodePayload("alerts", retained[0]!);
    expect(r.ok && r.value.state).toBe("acknowledged");
    await late.endAsync();

    await publishTelemetry(pub, "s1", telemetry("d1", "boot-b", 2, 1, () => 10));
    await waitFor("cleared", () => got.filter((m) => m.topic === alertTopic).length, (n) => n >= 4);
    const states = got
      .filter((m) => m.topic === alertTopic)
      .map((m) => (m.payload.length === 0 ? "(retained removed)" : decodePayload("alerts", m.payload)))
      .map((x) => (typeof x === "string" ? x : x.ok ? x.value.state : "bad"));
    expect(states).toEqual(["raised", "acknowledged", "cleared", "(retained removed)"]);
    expect(((await (await fetch(`${api}/alerts`)).json()) as Alert[]).filter((x) => x.rule === "hot")).toEqual([]);

    // Nothing retained any more for a newcomer.
    const after = await connect(broker.url);
    const none: Buffer[] = [];
    after.on("message", (_t, p) => none.push(p));
    await after.subscribeAsync(alertTopic, { qos: 1 });
    await new Promise((res) => setTimeout(res, 200));
    expect(none).toEqual([]);
    await after.endAsync();
    await watcher.endAsync();

    // Alerts stored: the history file and the sink.
    const hist = (await readFile(join(dir.path, "alerts.jsonl"), "utf8"))
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Alert)
      .filter((x) => x.rule === "hot");
    expect(hist.map((h) => h.state)).toEqual(["raised", "acknowledged", "cleared"]);
    const stored = await waitFor(
      "alert points",
      () => influxQuery(db.url, "fieldline", "SELECT count(severity) FROM alerts WHERE \"rule\" = 'hot'"),
      (rows) => Number(rows[0]?.[1]) === 3,
    );
    expect(Number(stored[0]?.[1])).toBe(3);
  });

  it("advances rules with the wall clock: a stale rule fires for a device gone silent, and clears when it speaks", async () => {
    const yaml = "rules:\n  - id: silent\n    scope: { devices: [quiet-*] }\n    when:\n      stale: { sensor: temp, after: 1s }\n";
    expect(await (await fetch(`${api}/rules`, { method: "PUT", body: yaml })).json()).toMatchObject({ ok: true });
    const now = Date.now();
    const msg = (seq: number, t: number) => ({ v: 1 as const, device: "quiet-1", boot: "b", seq, readings: [{ sensor: "temp", t, value: 20 }] });
    await publishTelemetry(pub, "s9", msg(0, now));
    const active = () => fetch(`${api}/alerts`).then((r) => r.json() as Promise<Alert[]>).then((l) => l.filter((a) => a.rule === "silent"));
    const raised = await waitFor("stale alert", active, (l) => l.length === 1, 10_000);
    expect(raised[0]).toMatchObject({ site: "s9", device: "quiet-1", state: "raised" });
    await publishTelemetry(pub, "s9", msg(1, Date.now()));
    await waitFor("stale alert cleared", active, (l) => l.length === 0, 10_000);
  });

  it("serves Prometheus metrics", async () => {
    const text = await (await fetch(`${api}/metrics`)).text();
    expect(text).toMatch(/fieldline_processor_readings_total \d+/);
    expect(text).toMatch(/fieldline_processor_sink_points_written_total \d+/);
  });
});

describe("processor -> VictoriaMetrics (v2 write API)", () => {
  it("stores values to ~12 significant digits with ms timestamps", async () => {
    const [broker, db, dir] = await Promise.all([startBroker(), startVictoria(), tempDir()]);
    const proc = new Processor(
      testConfig({
        dataDir: dir.path,
        mqtt: { url: broker.url, clientId: "proc-vm" },
        sink: { type: "influxdb", url: db.url, org: "o", bucket: "b" },
        detection: { enabled: false },
      }),
    );
    try {
      await proc.start();
      await proc.session.ready;
      const pub = await connect(broker.url);
      const value = (i: number) => Math.PI * (i + 1) * 1000;
      for (let seq = 0; seq < 10; seq++) await publishTelemetry(pub, "s2", telemetry("vm1", "b", seq, 10, value));
      await pub.endAsync();
      const series = await waitFor(
        "100 points in VictoriaMetrics",
        () => vmExport(db.url, 'telemetry_value{device="vm1"}'),
        (s) => s[0]?.values.length === 100,
      );
      expect(series[0]!.metric).toMatchObject({ site: "s2", device: "vm1", sensor: "temp" });
      series[0]!.timestamps.forEach((t, i) => {
        expect(t).toBe(T0 + i * 1000);
        expect(Math.abs(series[0]!.values[i]! - value(i)) / value(i)).toBeLessThan(1e-11);
      });
    } finally {
      await proc.stop();
      await Promise.all([broker.close(), db.close()]);
      await dir.remove();
    }
  });
});
