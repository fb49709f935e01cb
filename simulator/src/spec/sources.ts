/** Schemas of value sources: generators, composition, and CSV replay. */
import { z } from "zod";
import { duration, positiveDuration } from "./fields";

export type SourceSpec =
  | { type: "constant"; value: number }
  | { type: "sine"; mean: number; amplitude: number; period: number; peakAt: number; randomPhase: boolean }
  | { type: "randomWalk"; start: number; step: number; min?: number; max?: number; reversion: number }
  | { type: "noise"; mean: number; sigma: number; distribution: "normal" | "uniform" }
  | { type: "steps"; values: number[]; every: number; loop: boolean }
  | { type: "sum"; of: SourceSpec[] }
  | { type: "product"; of: SourceSpec[] }
  | { type: "replay"; file: string; column: number; timing: "interval" | "original"; loop: boolean; randomStart: boolean; scale: number; offset: number };

const constant = z.object({
  type: z.literal("constant"),
  value: z.number().describe("The value every sample takes."),
});

const sine = z.object({
  type: z.literal("sine"),
  mean: z.number().default(0).describe("Centre line."),
  amplitude: z.number().default(1).describe("Half the peak-to-peak swing."),
  period: positiveDuration.default(86_400_000).describe("Length of one cycle (default 1d: daily seasonality)."),
  peakAt: duration.default(0).describe("Offset into the cycle, from the Unix epoch, where the peak falls (e.g. 14h for a 14:00 UTC daily peak)."),
  randomPhase: z.boolean().default(false).describe("Shift each series' phase by a seeded random amount."),
});

const randomWalk = z.object({
  type: z.literal("randomWalk"),
  start: z.number().default(0).describe("First value."),
  step: z.number().nonnegative().default(1).describe("Standard deviation of each step."),
  min: z.number().optional().describe("Reflecting lower bound."),
  max: z.number().optional().describe("Reflecting upper bound."),
  reversion: z.number().min(0).max(1).default(0).describe("Pull toward `start` per step (0 none, 1 full)."),
});

const noise = z.object({
  type: z.literal("noise"),
  mean: z.number().default(0).describe("Centre of the noise."),
  sigma: z.number().nonnegative().default(1).describe("Standard deviation (normal) or half-width (uniform)."),
  distribution: z.enum(["normal", "uniform"]).default("normal").describe("Shape of the noise."),
});

const steps = z.object({
  type: z.literal("steps"),
  values: z.array(z.number()).min(1).describe("Levels taken in turn."),
  every: positiveDuration.describe("How long each level lasts."),
  loop: z.boolean().default(true).describe("Start over after the last level (else hold it)."),
});

const replay = z.object({
  type: z.literal("replay"),
  file: z.string().min(1).describe("CSV with a header and `timestamp,value` rows (e.g. a NAB data file); relative to the spec file."),
  column: z.number().int().min(1).default(1).describe("Zero-based column holding the value."),
  timing: z
    .enum(["interval", "original"])
    .default("interval")
    .describe("`interval`: one row per sample at the sensor's interval; `original`: keep the file's spacing, shifted to the run's start."),
  loop: z.boolean().default(true).describe("Start over at the end of the file."),
  randomStart: z.boolean().default(false).describe("Start each series at a seeded random row (so a fleet replaying one file is not in lockstep)."),
  scale: z.number().default(1).describe("Multiplies every value."),
  offset: z.number().default(0).describe("Added to every value after `scale`."),
});

export const source: z.ZodType<SourceSpec> = z.lazy(() =>
  z.discriminatedUnion("type", [
    constant,
    sine,
    randomWalk,
    noise,
    steps,
    replay,
    z.object({ type: z.literal("sum"), of: z.array(source).min(1).describe("Sources added together.") }),
    z.object({ type: z.literal("product"), of: z.array(source).min(1).describe("Sources multiplied together.") }),
  ]),
) as z.ZodType<SourceSpec>;
