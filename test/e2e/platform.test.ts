/**
 * The whole data path on real processes and a real database: simulator -> socat ptys -> edge
 * agents -> our broker (per-device credentials) -> cloud processor -> VictoriaMetrics through
 * the InfluxDB v2 write API; and an MQTT fleet beside it. The processor is stopped while the
 * first boiler overheats: its edge agent shuts the valve on its own (latched), and the event
 * and the telemetry reach the cloud once the processor is back.
 */
import { afterAll, describe, expect, it } from "vitest";
import { SAFETY_DEVICE } from "../../scripts/platform/fleet";
import type { Report } from "../../scripts/platform/report";
import { PlatformRun } from "./helpers";

describe("e2e: edge agents + MQTT fleet -> broker -> processor -> VictoriaMetrics", () => {
  let report: Report;
  const platform = new PlatformRun();
  afterAll(() => platform.stop());

  it("runs the platform with the processor stopped during the shutoff", async () => {
    report = await platform.run("vm", { store: { kind: "victoria-metrics" }, plan: { shutoffAt: 10 } }, [
      { atS: 5, name: "processor stopped", run: (p) => p.stopProcessor() },
      { atS: 16, name: "processor started", run: (p) => p.startProcessor() },
    ]);
    expect(report.failures).toEqual([]);
  }, 150_000);

  it("stores every reading once, unaltered: nothing missing or doubled", () => {
    expect(report.readings.mqttSent).toBeGreaterThan(10_000);
    expect(report.readings.mqttAcked).toBe(report.readings.mqttSent);
    expect(report.stored?.mqtt).toMatchObject({ missing: 0, duplicated: 0, altered: 0, unexpected: 0, expected: report.readings.mqttSent - 0 });
    expect(report.stored?.serial).toMatchObject({ missing: 0, extra: 0, outOfOrder: 0, expected: report.readings.serialSent });
  });

  it("raises alerts for the injected anomalies, in the cloud", () => {
    expect(report.alerts.byRule["meter-overheat"]).toBe(3); // levelShift on 3 sampled meters
    expect(report.alerts.byRule["boiler-overheat"]).toBe(1);
    expect(report.alerts.injected.devices).toHaveLength(3);
    expect(report.alerts.injected.alerted).toEqual(report.alerts.injected.devices);
  });

  it("shuts the valve without the cloud, latched, and reports it afterwards", () => {
    expect(report.shutoff).toMatchObject({ device: SAFETY_DEVICE, latched: true, eventDelivered: true, withoutCloud: true });
    expect(report.shutoff.latencyMs).toBeGreaterThanOrEqual(0);
  });
});
