/** The end-of-run report: a verdict per check, as JSON for tests and as text for people. */
import type { RunResult } from "./platform";

export interface Report {
  ok: boolean;
  failures: string[];
  wallS: number;
  readings: { sent: number; serialSent: number; mqttSent: number; mqttAcked: number; lostAtDevice: number };
  stored?: { mqtt: { expected: number; matched: number; missing: number; duplicated: number; altered: number; unexpected: number }; serial: { expected: number; matched: number; missing: number; extra: number; outOfOrder: number } };
  alerts: { raised: number; byRule: Record<string, number>; injected: { devices: string[]; alerted: string[] }; examples: { rule: string; device: string; message?: string; severity: string }[] };
  shutoff: RunResult["shutoff"] & { withoutCloud: boolean };
  steps: RunResult["steps"];
  where: Record<string, string>;
}

const within = (t: number | undefined, spans: [number, number][]) => t !== undefined && spans.some(([a, b]) => t >= a && t <= b);

export function judge(r: RunResult, where: Record<string, string>, expect: { rule: string; cloudRule: string }): Report {
  const failures: string[] = [];
  const m = r.mqttCheck;
  const s = r.serialCheck;
  if (r.mqtt.readingsAcked !== r.mqtt.readingsSent) failures.push(`MQTT fleet: ${r.mqtt.readingsSent - r.mqtt.readingsAcked} readings never acknowledged by the broker`);
  if (!m || !s) failures.push("the store could not be read back (no verify for this store)");
  if (m && !m.ok) failures.push(`MQTT fleet in the store: ${m.missing} missing, ${m.duplicated} duplicated, ${m.altered} altered, ${m.unexpected} unexpected`);
  if (s && !s.ok) failures.push(`edge fleet in the store: ${s.missing} missing, ${s.extra} extra, ${s.outOfOrder.length} series out of order`);
  const byRule: Record<string, number> = {};
  for (const a of r.alerts) byRule[a.rule] = (byRule[a.rule] ?? 0) + 1;
  const alerted = [...new Set(r.alerts.filter((a) => a.rule === expect.cloudRule).map((a) => a.device))].sort();
  const silent = r.shifted.filter((d) => !alerted.includes(d));
  const stray = alerted.filter((d) => !r.shifted.includes(d));
  if (r.shifted.length === 0) failures.push("no level shift was injected into the MQTT fleet");
  if (silent.length) failures.push(`no ${expect.cloudRule} alert for ${silent.join(", ")} (injected level shift)`);
  if (stray.length) failures.push(`${expect.cloudRule} alert on ${stray.join(", ")}, which had no injected level shift`);
  if (!byRule[expect.rule]) failures.push(`no ${expect.rule} alert from the overheating boiler`);
  const sh = r.shutoff;
  if (sh.gpioAt === undefined) failures.push(`no shutoff: ${sh.device}'s VALVE line was never driven to 0`);
  else if (!sh.latched) failures.push(`${sh.device}'s VALVE did not stay latched`);
  if (!sh.eventDelivered) failures.push(`${sh.device}'s rule-fired event never reached the broker`);
  for (const st of r.steps) if (st.error) failures.push(`step "${st.name}" failed: ${st.error}`);
  return {
    ok: failures.length === 0,
    failures,
    wallS: Math.round(r.wallMs / 100) / 10,
    readings: {
      sent: r.serial.readingsSent + r.mqtt.readingsSent,
      serialSent: r.serial.readingsSent,
      mqttSent: r.mqtt.readingsSent,
      mqttAcked: r.mqtt.readingsAcked,
      lostAtDevice: r.mqtt.readingsLost,
    },
    ...(m && s
      ? {
          stored: {
            mqtt: { expected: m.expected, matched: m.matched, missing: m.missing, duplicated: m.duplicated, altered: m.altered, unexpected: m.unexpected },
            serial: { expected: s.expected, matched: s.matched, missing: s.missing, extra: s.extra, outOfOrder: s.outOfOrder.length },
          },
        }
      : {}),
    alerts: {
      raised: r.alerts.length,
      byRule,
      injected: { devices: r.shifted, alerted },
      examples: r.alerts.slice(0, 4).map((a) => ({ rule: a.rule, device: a.device, severity: a.severity, ...(a.message ? { message: a.message } : {}) })),
    },
    shutoff: { ...sh, withoutCloud: within(sh.gpioAt, r.processorDown) || within(sh.gpioAt, r.brokerDown) },
    steps: r.steps,
    where,
  };
}

export function formatReport(rep: Report): string {
  const n = (x: number) => x.toLocaleString("en-US");
  const out: string[] = [];
  out.push("", `Fieldline demo report (${rep.wallS} s)`, "");
  const rd = rep.readings;
  out.push(`  readings sent       ${n(rd.sent)}  (${n(rd.serialSent)} through edge agents, ${n(rd.mqttSent)} over MQTT; ${n(rd.lostAtDevice)} taken offline without an outbox, not expected)`);
  if (rep.stored) {
    const m = rep.stored.mqtt;
    const s = rep.stored.serial;
    out.push(`  readings stored     ${n(m.matched + s.matched)} of ${n(m.expected + s.expected)}`);
    out.push(`    MQTT fleet        missing ${m.missing}, duplicated ${m.duplicated}, altered ${m.altered}, unexpected ${m.unexpected}`);
    out.push(`    edge fleet        missing ${s.missing}, extra ${s.extra}, series out of order ${s.outOfOrder}`);
  } else {
    out.push("  readings stored     not checked (this store cannot be read back here)");
  }
  const rules = Object.entries(rep.alerts.byRule)
    .map(([k, v]) => `${k} x${v}`)
    .join(", ");
  out.push(`  alerts raised       ${rep.alerts.raised}${rules ? ` (${rules})` : ""}`);
  const inj = rep.alerts.injected;
  out.push(`    injected anomaly  level shift on ${inj.devices.join(", ") || "no device"}: alerted ${inj.alerted.filter((d) => inj.devices.includes(d)).length} of ${inj.devices.length}`);
  if (Object.keys(rep.alerts.byRule).some((k) => k.startsWith("anomaly."))) out.push("    anomaly.*         raised by the processor's detector (cloud-processor/docs/detection.md)");
  for (const a of rep.alerts.examples) out.push(`    ${a.severity.padEnd(8)} ${a.rule} on ${a.device}${a.message ? `: ${a.message}` : ""}`);
  const sh = rep.shutoff;
  if (sh.gpioAt !== undefined) {
    const lat = sh.latencyMs !== undefined ? `${sh.latencyMs} ms from frame arrival to GPIO write` : "latency unknown (event not received)";
    out.push(`  safety shutoff      ${sh.device}: VALVE -> 0 by ${sh.rule}, ${lat}; ${sh.latched ? "still latched" : "NOT latched"}${sh.withoutCloud ? " (the cloud was down)" : ""}`);
  } else {
    out.push(`  safety shutoff      none on ${sh.device}`);
  }
  for (const st of rep.steps) out.push(`  fault               ${st.name} at ${(st.atMs / 1000).toFixed(1)} s${st.error ? `: FAILED ${st.error}` : ""}`);
  out.push("", rep.ok ? "  result              OK" : "  result              FAILED");
  for (const f of rep.failures) out.push(`    - ${f}`);
  out.push("", "Where to look next:");
  for (const [k, v] of Object.entries(rep.where)) out.push(`  ${k.padEnd(20)}${v}`);
  out.push("");
  return out.join("\n");
}
