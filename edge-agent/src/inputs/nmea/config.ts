import { z } from "zod";
import { inputId, reopenSchema, serialPath, sensorId } from "../common";

export const nmeaSchema = z
  .object({
    type: z.literal("nmea").describe("Input kind"),
    id: inputId,
    path: serialPath,
    baudRate: z.number().int().positive().default(4800).describe("NMEA 0183 default is 4800 baud"),
    prefix: sensorId
      .default("gps")
      .describe('Sensor names are "<prefix>.lat", "<prefix>.lon", ...'),
    reopen: reopenSchema,
  })
  .describe("NMEA 0183 sentences (GPS: GGA, RMC, VTG, GSA) on a serial port");

export type NmeaConfig = z.output<typeof nmeaSchema>;
