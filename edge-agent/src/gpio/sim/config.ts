import { z } from "zod";

export const simGpioSchema = z
  .object({
    type: z.literal("sim").describe("GPIO backend"),
    socket: z
      .string()
      .min(1)
      .optional()
      .describe("Unix socket path the simulated chip listens on (newline-delimited JSON)"),
    port: z
      .number()
      .int()
      .min(0)
      .max(65535)
      .optional()
      .describe("Or a TCP port on 127.0.0.1 (0 = any free port, see SimGpioChip.address())"),
    lines: z
      .number()
      .int()
      .min(1)
      .max(1024)
      .default(64)
      .describe("Number of lines (offsets 0..lines-1)"),
    names: z
      .record(z.string(), z.number().int().min(0))
      .default({})
      .describe('Line names, e.g. { "VALVE": 17 }'),
  })
  .refine((c) => (c.socket === undefined) !== (c.port === undefined), {
    message: "give exactly one of socket or port",
    path: ["socket"],
  })
  .describe("Simulated GPIO chip driven over a local socket by tests and the simulator");

export type SimGpioConfig = z.output<typeof simGpioSchema>;
