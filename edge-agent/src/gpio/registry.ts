/**
 * Every GPIO backend by its config `type`. Each schema is a zod object with a `type`
 * literal, for `z.discriminatedUnion("type", Object.values(gpioRegistry).map((k) => k.schema))`.
 */
import type { z } from "zod";
import type { GpioChip } from "./chip";
import { simGpioSchema } from "./sim/config";
import { libgpiodSchema } from "./libgpiod/config";
import { SimGpioChip } from "./sim/chip";
import { LibgpiodChipBackend } from "./libgpiod/chip";

export interface GpioKind {
  readonly schema: z.ZodObject;
  /** `cfg` is parsed again with `schema`. The chip acquires its device or socket on first use. */
  create(cfg: unknown): GpioChip;
}

function kind<S extends z.ZodObject>(schema: S, create: (cfg: z.output<S>) => GpioChip): GpioKind {
  return { schema, create: (cfg) => create(schema.parse(cfg)) };
}

export const gpioRegistry: Record<string, GpioKind> = {
  sim: kind(simGpioSchema, (cfg) => new SimGpioChip(cfg)),
  libgpiod: kind(libgpiodSchema, (cfg) => new LibgpiodChipBackend(cfg)),
};
