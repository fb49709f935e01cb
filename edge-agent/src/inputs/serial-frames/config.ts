import { z } from "zod";
import { inputId, reopenSchema, serialPath } from "../common";

export const serialFramesSchema = z
  .object({
    type: z.literal("serial-frames").describe("Input kind"),
    id: inputId,
    path: serialPath,
    baudRate: z.number().int().positive().default(115200).describe("UART speed"),
    maxFrameBytes: z
      .number()
      .int()
      .min(16)
      .max(65536)
      .default(4096)
      .describe("Largest encoded frame accepted"),
    time: z
      .enum(["host", "mcu"])
      .default("host")
      .describe(
        'Event time of readings: "host" = host clock when the frame arrived; "mcu" = the MCU\'s ms-since-boot, anchored to the host clock (see docs/inputs.md)',
      ),
    reopen: reopenSchema,
  })
  .describe("Firmware frames (COBS + CBOR) from an MCU on a UART");

export type SerialFramesConfig = z.output<typeof serialFramesSchema>;
