/**
 * One GPIO chip: the only way the agent touches digital lines. Backends live in
 * gpio/registry.ts ("sim" over a local socket, "libgpiod" on Linux character devices).
 *
 * A line is named by its offset on the chip (number) or by its line name (string).
 * Requesting a line acquires it; `release()` gives it back; `close()` releases every
 * line still held and the chip itself.
 */
export interface GpioChip {
  /** Request `line` as an output driven to `initial` right away. */
  output(line: number | string, initial: 0 | 1): Promise<OutputLine>;
  /**
   * Request `line` as an input watching `edge`. `onChange(value, t)` gets the new level and
   * the event time in epoch ms (from the kernel timestamp where the backend has one).
   */
  input(
    line: number | string,
    edge: "rising" | "falling" | "both",
    onChange: (value: 0 | 1, t: number) => void,
  ): Promise<InputLine>;
  close(): Promise<void>;
}

export interface OutputLine {
  /** Drive the line. Synchronous so a safety shutoff never waits on an event loop turn. */
  set(v: 0 | 1): void;
  /** The level last driven. */
  get(): 0 | 1;
  release(): Promise<void>;
}

export interface InputLine {
  /** The current level. */
  get(): 0 | 1;
  release(): Promise<void>;
}

/** Bad line name/offset, a line already held, a backend that cannot load or find its chip. */
export class GpioError extends Error {
  override readonly name = "GpioError";
}
