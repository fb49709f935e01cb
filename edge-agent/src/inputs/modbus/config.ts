import { z } from "zod";
import { inputId, reopenSchema, serialPath, sensorId } from "../common";

export const registerTypes = ["u16", "i16", "u32", "i32", "f32"] as const;

export const modbusPointSchema = z.object({
  sensor: sensorId,
  unit: z.number().int().min(1).max(247).describe("Slave address"),
  table: z.enum(["holding", "input"]).describe("holding = function 3, input = function 4"),
  address: z
    .number()
    .int()
    .min(0)
    .max(65535)
    .describe("Register address (0-based, as on the wire)"),
  type: z.enum(registerTypes).default("u16").describe("u16/i16: one register; u32/i32/f32: two"),
  wordOrder: z
    .enum(["big", "little"])
    .default("big")
    .describe(
      '32-bit types: "big" = high word in the lower register (Modbus convention), "little" = swapped',
    ),
  scale: z.number().default(1).describe("value = raw * scale + offset"),
  offset: z.number().default(0).describe("Added after scaling"),
  everyMs: z.number().int().min(10).default(1000).describe("Poll period"),
  priority: z
    .enum(["safety", "normal", "low"])
    .default("normal")
    .describe("Safety reads go first whenever several are due on the bus"),
});

export const modbusRtuSchema = z
  .object({
    type: z.literal("modbus-rtu").describe("Input kind"),
    id: inputId,
    path: serialPath,
    baudRate: z.number().int().positive().default(9600).describe("Bus speed"),
    parity: z.enum(["none", "even", "odd"]).default("even").describe("Modbus RTU default is 8E1"),
    stopBits: z
      .union([z.literal(1), z.literal(2)])
      .default(1)
      .describe("2 when parity is none (RTU wants 11-bit characters)"),
    timeoutMs: z.number().int().min(5).default(300).describe("Response timeout per request"),
    retries: z
      .number()
      .int()
      .min(0)
      .max(5)
      .default(1)
      .describe("Retries after a timeout or CRC error"),
    silentPollMs: z
      .number()
      .int()
      .min(0)
      .default(1000)
      .describe(
        "After a timeout, a unit's reads wait at least this long (a dead unit cannot hold the bus)",
      ),
    maxRegisters: z
      .number()
      .int()
      .min(1)
      .max(125)
      .default(64)
      .describe("Most registers merged into one read"),
    points: z
      .array(modbusPointSchema)
      .min(1)
      .describe("Registers to poll; contiguous ones of a unit are read together"),
    reopen: reopenSchema,
  })
  .describe(
    "Modbus RTU master polling holding/input registers on one RS-485 bus (one scheduler per bus)",
  );

export type ModbusRtuConfig = z.output<typeof modbusRtuSchema>;
export type ModbusPoint = z.output<typeof modbusPointSchema>;
