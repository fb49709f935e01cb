import { z } from "zod";

export const libgpiodSchema = z
  .object({
    type: z.literal("libgpiod").describe("GPIO backend"),
    chip: z
      .string()
      .min(1)
      .default("gpiochip0")
      .describe("Chip name or /dev path (Pi 4: gpiochip0, Pi 5: gpiochip4)"),
    consumer: z
      .string()
      .min(1)
      .max(31)
      .default("fieldline")
      .describe("Consumer label shown by gpioinfo"),
    pollMs: z
      .number()
      .int()
      .min(1)
      .max(1000)
      .default(5)
      .describe("Input sampling period (node-libgpiod has no event callback)"),
  })
  .describe("Linux GPIO character device via the optional native module node-libgpiod");

export type LibgpiodConfig = z.output<typeof libgpiodSchema>;
