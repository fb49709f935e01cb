/**
 * The two simulated fleets of a platform run, as simulator specs:
 * - `serial`: a few boilers whose firmware frames go over socat pty pairs into real edge
 *   agents, in real time (speed 1), with an overheat injected on the first boiler that its
 *   local safety rule answers with a latched VALVE shutoff;
 * - `mqtt`: many meters straight over MQTT with per-device credentials, a simulated day
 *   compressed into the run, with an injected level shift that raises alerts in the cloud,
 *   spikes, disconnects and reboots.
 */
import { parseSpec, type LoadedSpec } from "@fieldline/simulator";

export interface FleetPlan {
  /** Wall time the fleets run, seconds. */
  seconds: number;
  serialDevices: number;
  mqttDevices: number;
  /** Seconds into the serial run when the first boiler overheats. */
  shutoffAt: number;
  seed: number;
  /**
   * The simulated MCUs keep each readings frame until the edge agent acks it and re-send it
   * otherwise (firmware-contracts README, "Reliable delivery"), so readings sent while an
   * agent is down reach it once it is back.
   */
  retransmit?: boolean;
  /**
   * The MQTT fleet's own outages: a 1-hour disconnect on 5 meters and a reboot on 3 (default
   * on). A device going offline waits 10 s for its PUBACKs and then drops the connection, so
   * during a long broker outage it gives up readings it never got acknowledged.
   */
  deviceOutages?: boolean;
}

export const SERIAL_SITE = "plant";
export const MQTT_SITE = "campus";
export const SAFETY_DEVICE = "boiler-0001";
export const SAFETY_RULE = "boiler-overheat";
export const CLOUD_RULE = "meter-overheat";

export const serialIds = (n: number) => Array.from({ length: n }, (_, i) => `boiler-${String(i + 1).padStart(4, "0")}`);
export const mqttIds = (n: number) => Array.from({ length: n }, (_, i) => `meter-${String(i + 1).padStart(4, "0")}`);

/** One rules file for edge and cloud: the edge acts on gpio actions, the cloud raises alerts. */
export const RULES_YAML = `version: 1
rules:
  - id: ${SAFETY_RULE}
    description: Water too hot; shut the valve until someone clears the latch.
    scope: { devices: ["boiler-*"] }
    severity: critical
    when: { threshold: { sensor: temp, above: 90, hysteresis: 5 } }
    actions:
      - alert
      - gpio: { line: VALVE, value: 0, latch: true }
    message: "{device}: water at {value} °C, valve shut"
  - id: ${CLOUD_RULE}
    description: A meter running hot.
    scope: { devices: ["meter-*"] }
    severity: warning
    when: { threshold: { sensor: temp, above: 45, hysteresis: 3 } }
    message: "{device}: {value} °C"
`;

export function serialSpec(p: FleetPlan, portsDir: string, extraInjections: string[] = []): LoadedSpec {
  const start = new Date(Math.floor(Date.now() / 1000) * 1000).toISOString();
  return parseSpec(`
seed: ${p.seed}
start: ${start}
duration: ${p.seconds}s
speed: 1
transport: { type: serial, dir: "${portsDir}", linger: 1s, stallTimeout: 60s${p.retransmit ? ", retransmit: { timeout: 500ms }" : ""} }
profiles:
  boiler:
    firmware: boiler-fw-3.0.1
    sensors:
      temp: { unit: Cel, kind: temperature, interval: 1s, round: 2, source: { type: sum, of: [ { type: sine, mean: 65, amplitude: 5, period: 5m, randomPhase: true }, { type: noise, sigma: 0.3 } ] } }
      pressure: { unit: kPa, kind: pressure, interval: 2s, round: 1, source: { type: randomWalk, start: 180, step: 0.8, min: 150, max: 220, reversion: 0.02 } }
devices:
  - { profile: boiler, prefix: boiler-, count: ${p.serialDevices}, site: ${SERIAL_SITE} }
injections:
  - { type: levelShift, at: ${p.shutoffAt}s, duration: 4s, devices: ${SAFETY_DEVICE}, sensors: temp, delta: 40 }
${p.serialDevices > 1 ? "  - { type: garbage, at: 3s, devices: boiler-0002, bytes: 200 }\n  - { type: crcError, at: 4s, devices: boiler-0002, count: 2 }" : ""}
${extraInjections.map((l) => `  - ${l}`).join("\n")}
`);
}

export function mqttSpec(p: FleetPlan, url: string, credentialsFile: string): LoadedSpec {
  const day = 86_400;
  // The simulated day ends about now, so dashboards show it under "last 24 hours".
  const start = new Date((Math.floor(Date.now() / 3_600_000) - 24) * 3_600_000).toISOString();
  return parseSpec(`
seed: ${p.seed}
start: ${start}
duration: 1d
speed: ${Math.round(day / p.seconds)}
transport: { type: mqtt, url: "${url}", credentialsFile: "${credentialsFile}", reconnectPeriod: 200ms, connectConcurrency: 50 }
profiles:
  meter:
    firmware: meter-fw-2.4
    sensors:
      temp: { unit: Cel, interval: 5m, round: 2, source: { type: sum, of: [ { type: sine, mean: 20, amplitude: 6, peakAt: 14h }, { type: noise, sigma: 0.3 } ] } }
      power: { unit: W, interval: 5m, round: 1, min: 0, source: { type: randomWalk, start: 800, step: 20, min: 0, reversion: 0.01 } }
devices:
  - { profile: meter, prefix: meter-, count: ${p.mqttDevices}, site: ${MQTT_SITE} }
injections:
  - { type: levelShift, at: 15h, devices: "meter-*", sample: 3, sensors: temp, delta: 40 }
  - { type: spike, at: 6h, devices: "meter-*", sample: 10, sensors: power, magnitude: 5000 }
${p.deviceOutages === false ? "" : `  - { type: disconnect, at: 9h, duration: 1h, devices: "meter-*", sample: 5 }\n  - { type: reboot, at: 12h, downtime: 10m, devices: "meter-*", sample: 3 }\n`}  - { type: garbage, at: 3h, devices: "meter-*", sample: 1 }
`);
}
