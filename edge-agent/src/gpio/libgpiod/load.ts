/**
 * Loads the optional native module node-libgpiod (libgpiod v1 API, as on Raspberry Pi OS
 * bookworm). Kept apart so the agent runs without it: only the "libgpiod" backend calls this.
 */
import { createRequire } from "node:module";
import { GpioError } from "../chip";

/** The part of node-libgpiod this backend uses. */
export interface LibgpiodLine {
  requestInputMode(consumer?: string): unknown;
  requestOutputMode(consumer?: string, defaultValue?: 0 | 1): unknown;
  getValue(): 0 | 1;
  setValue(v: 0 | 1): unknown;
  release(): unknown;
}
export interface LibgpiodChip {
  readonly name: string;
  readonly numberOfLines: number;
  getLine(id: number | string): LibgpiodLine;
}
export interface LibgpiodModule {
  readonly version: string;
  getChipNames(): string[];
  Chip: new (id: number | string) => LibgpiodChip;
}

export function loadLibgpiod(require = createRequire(import.meta.url)): LibgpiodModule {
  try {
    return require("node-libgpiod") as LibgpiodModule;
  } catch (err) {
    throw new GpioError(
      `GPIO backend "libgpiod" needs the optional native module node-libgpiod, which did not load ` +
        `(${(err as Error).message.split("\n")[0]}). On the device: apt-get install gpiod libgpiod-dev, ` +
        `then npm install node-libgpiod; or use the "sim" backend.`,
    );
  }
}
