/**
 * Every input kind by its config `type`. Config picks by name; nothing else switches on kinds.
 * Each schema is a zod object with a `type` literal, so a config loader can build
 * `z.discriminatedUnion("type", Object.values(inputRegistry).map((k) => k.schema))`.
 */
import type { z } from "zod";
import type { InputDeps, ReadingSource } from "./source";
import { serialFramesSchema } from "./serial-frames/config";
import { SerialFramesSource } from "./serial-frames/source";
import { nmeaSchema } from "./nmea/config";
import { NmeaSource } from "./nmea/source";
import { modbusRtuSchema } from "./modbus/config";
import { ModbusRtuSource } from "./modbus/source";
import { gpioInputSchema } from "./gpio/config";
import { GpioInputSource } from "./gpio/source";

export interface InputKind {
  /** Validates one entry of the `inputs` list (including its `type`). */
  readonly schema: z.ZodObject;
  /** `cfg` is an entry of `inputs`, parsed or not (it is parsed again with `schema`). */
  create(cfg: unknown, deps: InputDeps): ReadingSource;
}

function kind<S extends z.ZodObject>(
  schema: S,
  create: (cfg: z.output<S>, deps: InputDeps) => ReadingSource,
): InputKind {
  return { schema, create: (cfg, deps) => create(schema.parse(cfg), deps) };
}

export const inputRegistry: Record<string, InputKind> = {
  "serial-frames": kind(serialFramesSchema, (cfg, deps) => new SerialFramesSource(cfg, deps)),
  nmea: kind(nmeaSchema, (cfg, deps) => new NmeaSource(cfg, deps)),
  "modbus-rtu": kind(modbusRtuSchema, (cfg, deps) => new ModbusRtuSource(cfg, deps)),
  gpio: kind(gpioInputSchema, (cfg, deps) => new GpioInputSource(cfg, deps)),
};

export { defaultInputId } from "./id";
