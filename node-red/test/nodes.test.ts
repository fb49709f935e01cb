// The Fieldline nodes in the real Node-RED runtime (node-red-node-test-helper) against a real
// MQTT broker on a random loopback port.
import { createRequire } from "node:module";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import mqtt from "mqtt";
import { encodePayload, encodeCbor, topics, type Alert, type Telemetry } from "@fieldline/firmware-contracts";
import { buildContracts } from "../scripts/build.mjs";
import { startAedes } from "./aedes";

const require = createRequire(import.meta.url);
const helper = require("node-red-node-test-helper");
const brokerNode = require("../nodes/fieldline-broker.js");
const telemetryIn = require("../nodes/fieldline-telemetry-in.js");
const alertsIn = require("../nodes/fieldline-alerts-in.js");
const commandOut = require("../nodes/fieldline-command-out.js");
const alertAck = require("../nodes/fieldline-alert-ack.js");
const allNodes = [brokerNode, telemetryIn, alertsIn, commandOut, alertAck];

type Msg = Record<string, unknown> & { payload: unknown };
type HelperNode = { on(ev: string, fn: (msg: Msg) => void): void; receive(msg: unknown): void };

let broker: Awaited<ReturnType<typeof startAedes>>;
let device: mqtt.MqttClient;

const addr = { site: "plant-1", device: "pump-7" };

beforeAll(async () => {
  await buildContracts();
  helper.init(require.resolve("node-red"));
  await new Promise<void>((resolve) => helper.startServer(resolve));
  broker = await startAedes();
  device = await mqtt.connectAsync(broker.url, { clientId: "pump-7" });
});

afterEach(async () => {
  await helper.unload();
});

afterAll(async () => {
  await device.endAsync();
  await new Promise<void>((resolve) => helper.stopServer(resolve));
  await broker.stop();
});

function flowWith(nodes: object[]) {
  return [
    { id: "b1", type: "fieldline-broker", url: broker.url, clientId: `nr-${Math.random()}` },
    { id: "out", type: "helper" },
    ...nodes,
  ];
}

function nextMessage(node: HelperNode, timeoutMs = 5000): Promise<Msg> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no message")), timeoutMs);
    node.on("input", (msg) => {
      clearTimeout(timer);
      resolve(msg);
    });
  });
}

async function loaded(flow: object[]): Promise<void> {
  await new Promise<void>((resolve) => helper.load(allNodes, flow, resolve));
}

/** Lets the shared connection come up and subscribe before the test publishes. */
const settle = () => new Promise((r) => setTimeout(r, 300));

describe("fieldline-telemetry-in", () => {
  it("sends decoded telemetry batches and skips payloads that fail the contract", async () => {
    await loaded(flowWith([{ id: "t1", type: "fieldline-telemetry-in", broker: "b1", wires: [["out"]] }]));
    const out = helper.getNode("out") as HelperNode;
    const got = nextMessage(out);
    await settle();
    const batch: Telemetry = {
      v: 1,
      device: "pump-7",
      boot: "b00t",
      seq: 1,
      readings: [{ sensor: "temp", t: 1_700_000_000_000, value: 21.5 }],
    };
    await device.publishAsync(topics.telemetry(addr), Buffer.from(encodeCbor({ v: 1, junk: true })), { qos: 1 });
    await device.publishAsync(topics.telemetry(addr), Buffer.from(encodePayload("telemetry", batch)), { qos: 1 });
    const msg = await got;
    expect(msg.payload).toEqual(batch);
    expect(msg.site).toBe("plant-1");
    expect(msg.device).toBe("pump-7");
  });

  it("splits a batch into one message per reading when asked", async () => {
    await loaded(flowWith([{ id: "t1", type: "fieldline-telemetry-in", broker: "b1", device: "pump-7", split: true, wires: [["out"]] }]));
    const out = helper.getNode("out") as HelperNode;
    const msgs: Msg[] = [];
    out.on("input", (m) => msgs.push(m));
    await settle();
    const readings = [
      { sensor: "temp", t: 1_700_000_000_000, value: 21.5 },
      { sensor: "rpm", t: 1_700_000_000_001, value: 1200 },
    ];
    await device.publishAsync(
      topics.telemetry(addr),
      Buffer.from(encodePayload("telemetry", { v: 1, device: "pump-7", boot: "b", seq: 2, readings })),
      { qos: 1 },
    );
    await expect.poll(() => msgs.length).toBe(2);
    expect(msgs.map((m) => m.payload)).toEqual(readings);
  });
});

describe("fieldline-alerts-in", () => {
  it("receives the retained active set and the removal of a cleared alert", async () => {
    const alert: Alert = {
      v: 1,
      id: "high-temp:pump-7:1",
      site: "plant-1",
      device: "pump-7",
      rule: "high-temp",
      state: "raised",
      severity: "critical",
      t: 1_700_000_000_000,
      raisedAt: 1_700_000_000_000,
      message: "temp above 80",
    };
    await device.publishAsync(topics.alert(addr, "high-temp"), Buffer.from(encodePayload("alerts", alert)), {
      qos: 1,
      retain: true,
    });
    await loaded(flowWith([{ id: "a1", type: "fieldline-alerts-in", broker: "b1", wires: [["out"]] }]));
    const out = helper.getNode("out") as HelperNode;
    const msgs: Msg[] = [];
    out.on("input", (m) => msgs.push(m));
    await expect.poll(() => msgs.length).toBe(1);
    expect(msgs[0]!.payload).toEqual(alert);
    expect(msgs[0]!.retained).toBe(true);
    await device.publishAsync(topics.alert(addr, "high-temp"), Buffer.alloc(0), { qos: 1, retain: true });
    await expect.poll(() => msgs.length).toBe(2);
    expect(msgs[1]!.payload).toBeNull();
    expect(msgs[1]!.alert).toEqual({ site: "plant-1", device: "pump-7", rule: "high-temp" });
  });
});

describe("fieldline-command-out", () => {
  it("publishes a command and outputs the device's result", async () => {
    // The device side: answer every command with a result carrying the same id.
    await device.subscribeAsync(topics.commands(addr), { qos: 1 });
    const { decodePayload } = await import("@fieldline/firmware-contracts");
    const onCommand = (topic: string, payload: Buffer) => {
      if (topic !== topics.commands(addr)) return;
      const cmd = decodePayload("commands", payload);
      if (!cmd.ok) return;
      const result = encodePayload("commandResults", {
        v: 1,
        device: "pump-7",
        boot: "b",
        seq: 9,
        id: cmd.value.id,
        t: Date.now(),
        ok: true,
        result: { pong: cmd.value.name === "ping" },
      });
      void device.publishAsync(topics.commandResults(addr), Buffer.from(result), { qos: 1 });
    };
    device.on("message", onCommand);
    try {
      await loaded(
        flowWith([{ id: "c1", type: "fieldline-command-out", broker: "b1", site: "plant-1", device: "pump-7", command: "ping", wires: [["out"]] }]),
      );
      const out = helper.getNode("out") as HelperNode;
      const got = nextMessage(out);
      await settle();
      (helper.getNode("c1") as HelperNode).receive({ payload: "" });
      const msg = await got;
      expect(msg.payload).toMatchObject({ ok: true, result: { pong: true }, device: "pump-7" });
    } finally {
      device.off("message", onCommand);
      await device.unsubscribeAsync(topics.commands(addr));
    }
  });
});
