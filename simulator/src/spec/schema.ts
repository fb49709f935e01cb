/**
 * The fleet spec: what devices exist, what each sensor reads, what goes wrong and when, and
 * how it is sent. One zod schema with defaults and a description per field; `load.ts` reports
 * every error at once with its path and line.
 */
import { z } from "zod";
import { id, instant, positiveDuration } from "./fields";
import { injection } from "./injections";
import { source } from "./sources";
import { transport } from "./transports";

export const sensor = z.object({
  unit: z.string().max(32).optional().describe("Unit announced in serial hello frames."),
  kind: z.string().max(32).optional().describe("Sensor kind announced in serial hello frames."),
  interval: positiveDuration.default(10_000).describe("Time between samples (event time)."),
  source: source.describe("Where values come from: a generator or a CSV replay."),
  round: z.number().int().min(0).max(15).optional().describe("Round values to this many decimals."),
  min: z.number().optional().describe("Clamp values from below."),
  max: z.number().optional().describe("Clamp values from above."),
});

export const profile = z.object({
  firmware: z.string().max(64).default("sim-1.0").describe("Firmware version the device reports."),
  sensors: z
    .record(id, sensor)
    .refine((s) => Object.keys(s).length > 0, "a profile needs at least one sensor")
    .describe("Sensors by id (the id is the reading's `sensor`)."),
});

export const deviceGroup = z
  .object({
    profile: z.string().min(1).describe("Name of a profile under `profiles`."),
    id: id.optional().describe("Id of a single device (count must be 1)."),
    prefix: z.string().regex(/^[A-Za-z0-9_.-]{0,56}$/).optional().describe("Ids are prefix + zero-padded index, e.g. therm-0001."),
    count: z.number().int().positive().max(1_000_000).default(1).describe("How many devices this group makes."),
    site: id.default("site-1").describe("Site the devices belong to (part of every topic)."),
  })
  .refine((g) => g.id === undefined || g.count === 1, { message: "`id` names one device; use `prefix` with count > 1", path: ["id"] })
  .refine((g) => g.id !== undefined || g.prefix !== undefined, { message: "give `id` or `prefix`", path: ["prefix"] });

export const batch = z.object({
  maxReadings: z.number().int().min(1).max(1000).default(100).describe("Most readings in one message."),
  every: z
    .union([positiveDuration, z.literal(0)])
    .default(0)
    .describe("Event time a device collects readings before sending (0: send at every tick)."),
});

export const fleetSpec = z
  .object({
    seed: z.number().int().min(0).max(2 ** 32 - 1).default(1).describe("Seed of every random choice; same seed, same run."),
    start: instant.default({ time: Date.UTC(2026, 0, 1) }).describe("Event time of the first sample (ISO time)."),
    duration: positiveDuration.describe("Event time the run covers."),
    speed: z
      .union([z.number().positive(), z.literal("max")])
      .default("max")
      .describe("Event time per wall time (1440: a day in a minute); `max` sends as fast as the transport takes it."),
    batch: batch.default({ maxReadings: 100, every: 0 }).describe("How readings are grouped into messages."),
    transport: transport.default({ type: "none" }).describe("How the fleet is sent (see Transports)."),
    truth: z.string().optional().describe("Ground-truth JSONL path (relative to the spec file)."),
    profiles: z.record(z.string().min(1), profile).describe("Device profiles by name: firmware and sensors."),
    devices: z.array(deviceGroup).min(1).describe("Groups of devices, each from a profile."),
    injections: z.array(injection).default([]).describe("Anomalies and faults, each labelled in the ground truth (see below)."),
  })
  .superRefine((spec, ctx) => {
    if ("offset" in spec.start) {
      ctx.addIssue({ code: "custom", path: ["start"], message: "start must be an ISO time" });
    }
    const seen = new Set<string>();
    spec.devices.forEach((g, i) => {
      if (!(g.profile in spec.profiles)) {
        ctx.addIssue({ code: "custom", path: ["devices", i, "profile"], message: `unknown profile ${JSON.stringify(g.profile)}; known: ${Object.keys(spec.profiles).join(", ")}` });
      }
      for (const d of deviceIds(g)) {
        if (seen.has(d)) {
          ctx.addIssue({ code: "custom", path: ["devices", i], message: `device id ${d} is used twice` });
          break;
        }
        seen.add(d);
      }
    });
  });

export type FleetSpec = z.infer<typeof fleetSpec>;
export type SensorSpec = z.infer<typeof sensor>;
export type DeviceGroupSpec = z.infer<typeof deviceGroup>;

/** The device ids of one group, in order. */
export function deviceIds(g: DeviceGroupSpec): string[] {
  if (g.id !== undefined) return [g.id];
  const width = Math.max(4, String(g.count).length);
  return Array.from({ length: g.count }, (_, i) => `${g.prefix ?? ""}${String(i + 1).padStart(width, "0")}`);
}
