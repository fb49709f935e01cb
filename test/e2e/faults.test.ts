/**
 * The same path through faults, on influxd 1.6 (v1 write API): the broker (sessions in a real
 * redis-server) goes down and comes back on the same port while the first boiler overheats,
 * and later the processor is killed with SIGKILL and restarted. Edge outboxes, the MQTT
 * fleet's QoS 1 retries and the processor's persistent session cover both: nothing missing,
 * nothing altered, the alerts raised, the valve shut without the cloud.
 *
 * Duplicates: after a kill -9 the broker redelivers what the processor had written but not
 * acknowledged; InfluxDB overwrites a point with the same series and time, so the database
 * never holds a reading twice (which is also why `duplicated` cannot be seen here; the
 * VictoriaMetrics test, whose store keeps duplicates, checks doubling).
 */
import { afterAll, describe, expect, it } from "vitest";
import { SAFETY_DEVICE } from "../../scripts/platform/fleet";
import type { Report } from "../../scripts/platform/report";
import { PlatformRun } from "./helpers";

describe("e2e with faults: broker restart and processor kill -9 -> influxd 1.6", () => {
  let report: Report;
  const platform = new PlatformRun();
  afterAll(() => platform.stop());

  it("runs the platform through a broker restart and a processor kill -9", async () => {
    report = await platform.run("faults", { store: { kind: "influxdb-v1" }, redis: true, plan: { seconds: 26, shutoffAt: 8, seed: 23 } }, [
      { atS: 6, name: "broker stopped", run: (p) => p.stopBroker() },
      { atS: 10, name: "broker started", run: (p) => p.startBroker() },
      {
        atS: 16,
        name: "processor kill -9, restarted",
        run: async (p) => {
          await p.stopProcessor(true);
          await p.startProcessor();
        },
      },
    ]);
    expect(report.failures).toEqual([]);
  }, 150_000);

  it("stores every reading the devices sent, unaltered", () => {
    expect(report.steps.map((s) => [s.name, s.error])).toEqual([
      ["broker stopped", undefined],
      ["broker started", undefined],
      ["processor kill -9, restarted", undefined],
    ]);
    expect(report.readings.mqttAcked).toBe(report.readings.mqttSent);
    expect(report.stored?.mqtt).toMatchObject({ missing: 0, duplicated: 0, altered: 0, unexpected: 0 });
    expect(report.stored?.serial).toMatchObject({ missing: 0, extra: 0, outOfOrder: 0, expected: report.readings.serialSent });
  });

  it("raises the alerts, and the shutoff happened while the broker was down", () => {
    expect(report.alerts.byRule["meter-overheat"]).toBe(3);
    expect(report.alerts.byRule["boiler-overheat"]).toBe(1);
    expect(report.alerts.injected.devices).toHaveLength(3);
    expect(report.alerts.injected.alerted).toEqual(report.alerts.injected.devices);
    expect(report.shutoff).toMatchObject({ device: SAFETY_DEVICE, latched: true, eventDelivered: true, withoutCloud: true });
  });
});
