/**
 * Schemas of injections. Anomalies change the values of selected series; faults change how
 * selected devices (or the broker) behave. Every injection is written to the ground truth as
 * a label with its exact event-time window.
 */
import { z } from "zod";
import { duration, instant, positiveDuration, selector, signedDuration } from "./fields";

const targets = {
  at: instant.describe("When it starts: ISO time or a duration after the run's start."),
  devices: selector.default(["*"]).describe("Device id globs it applies to."),
  sample: z.number().int().positive().optional().describe("Pick this many of the matching devices (seeded)."),
};

const anomalyTargets = {
  ...targets,
  sensors: selector.default(["*"]).describe("Sensor id globs it applies to."),
};

export const anomalySchemas = {
  spike: z.object({
    type: z.literal("spike"),
    ...anomalyTargets,
    duration: duration.default(0).describe("0: only the first sample at or after `at`."),
    magnitude: z.number().describe("Added to the value."),
  }),
  levelShift: z.object({
    type: z.literal("levelShift"),
    ...anomalyTargets,
    duration: duration.optional().describe("Until the end of the run if absent."),
    delta: z.number().describe("Added to every value in the window."),
  }),
  drift: z.object({
    type: z.literal("drift"),
    ...anomalyTargets,
    duration: positiveDuration.describe("Length of the drift; values return to normal after it."),
    ratePerHour: z.number().describe("Added per hour since the start of the window."),
  }),
  stuck: z.object({
    type: z.literal("stuck"),
    ...anomalyTargets,
    duration: positiveDuration.describe("The first value in the window repeats until it ends."),
  }),
  dropout: z.object({
    type: z.literal("dropout"),
    ...anomalyTargets,
    duration: positiveDuration.describe("No readings at all in the window."),
  }),
  noiseBurst: z.object({
    type: z.literal("noiseBurst"),
    ...anomalyTargets,
    duration: positiveDuration.describe("Length of the burst."),
    sigma: z.number().positive().describe("Standard deviation of the added noise."),
  }),
};

export const faultSchemas = {
  disconnect: z.object({
    type: z.literal("disconnect"),
    ...targets,
    duration: positiveDuration.describe("Offline for this long, then reconnects."),
    buffer: z.boolean().default(true).describe("Keep readings taken while offline and send them on reconnect (like an outbox); else they are lost and not expected downstream."),
  }),
  reboot: z.object({
    type: z.literal("reboot"),
    ...targets,
    downtime: duration.default(0).describe("No readings while it restarts."),
  }),
  garbage: z.object({
    type: z.literal("garbage"),
    ...targets,
    bytes: z.number().int().positive().max(65_536).default(64).describe("Random bytes written to the serial line (MQTT: a non-CBOR payload)."),
  }),
  crcError: z.object({
    type: z.literal("crcError"),
    ...targets,
    count: z.number().int().positive().default(1).describe("Readings frames sent with a wrong CRC (serial only)."),
  }),
  clockSkew: z.object({
    type: z.literal("clockSkew"),
    ...targets,
    duration: duration.optional().describe("Until the end of the run if absent."),
    offset: signedDuration.describe("Added to the device's timestamps (negative numbers allowed, in ms)."),
  }),
  brokerOutage: z.object({
    type: z.literal("brokerOutage"),
    at: instant.describe("When the outage starts: ISO time or a duration after the run's start."),
    duration: positiveDuration.describe("Length of the outage. The run calls its fault hook at start and end (CLI: --on-outage-start/--on-outage-end); the hook takes the broker down and up."),
  }),
};

export const injection = z.discriminatedUnion("type", [
  ...Object.values(anomalySchemas),
  ...Object.values(faultSchemas),
] as unknown as [typeof anomalySchemas.spike, ...(typeof anomalySchemas.spike)[]]) as unknown as z.ZodType<InjectionSpec>;

type Out<T> = T extends z.ZodType<infer O> ? O : never;
export type AnomalySpec = { [K in keyof typeof anomalySchemas]: Out<(typeof anomalySchemas)[K]> }[keyof typeof anomalySchemas];
export type FaultSpec = { [K in keyof typeof faultSchemas]: Out<(typeof faultSchemas)[K]> }[keyof typeof faultSchemas];
export type InjectionSpec = AnomalySpec | FaultSpec;
export type AnomalyType = AnomalySpec["type"];
export type FaultType = FaultSpec["type"];

export function isAnomaly(i: InjectionSpec): i is AnomalySpec {
  return i.type in anomalySchemas;
}
