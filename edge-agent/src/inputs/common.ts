/** Config pieces shared by the inputs' zod schemas. */
import { z } from "zod";
import { ID_PATTERN } from "@fieldline/firmware-contracts";

export const sensorId = z
  .string()
  .regex(ID_PATTERN, "must be 1-64 characters of A-Z a-z 0-9 _ . -")
  .describe("Sensor id as it appears in telemetry");

export const inputId = z
  .string()
  .min(1)
  .max(64)
  .optional()
  .describe("Name of this input in logs and metrics (default: type:path)");

export const serialPath = z
  .string()
  .min(1)
  .describe("Serial device path, e.g. /dev/ttyUSB0 or /dev/serial/by-id/...");

/** Reopen policy of a serial port that vanished or failed to open. */
export const reopenSchema = z
  .object({
    initialMs: z.number().int().min(10).default(200).describe("First retry delay"),
    maxMs: z
      .number()
      .int()
      .min(10)
      .default(5000)
      .describe("Retry delay ceiling (doubling with jitter)"),
  })
  .prefault({})
  .describe("Backoff used to reopen the port after it is unplugged or fails to open");

export type ReopenConfig = z.output<typeof reopenSchema>;
