import { z } from "zod";
import { inputId, sensorId } from "../common";

export const gpioInputSchema = z
  .object({
    type: z.literal("gpio").describe("Input kind"),
    id: inputId,
    lines: z
      .array(
        z.object({
          sensor: sensorId,
          line: z
            .union([z.number().int().min(0), z.string().min(1)])
            .describe("Line offset or line name on the chip"),
          edge: z
            .enum(["rising", "falling", "both"])
            .default("both")
            .describe("Which debounced changes of the (activeLow-adjusted) level are reported"),
          debounceMs: z
            .number()
            .min(0)
            .max(10_000)
            .default(20)
            .describe("A level must hold this long to count"),
          activeLow: z.boolean().default(false).describe("Report 1 when the line is low"),
        }),
      )
      .min(1)
      .describe("Lines to watch; each reports 0/1 readings"),
  })
  .describe("Digital inputs on the agent's GPIO chip, debounced");

export type GpioInputConfig = z.output<typeof gpioInputSchema>;
