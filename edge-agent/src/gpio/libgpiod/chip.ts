/**
 * GPIO on a Linux character device (/dev/gpiochipN) through node-libgpiod.
 *
 * node-libgpiod exposes no edge-event reader, so inputs are sampled every `pollMs` on the
 * event loop and a change is reported with the sampling time; outputs are written
 * synchronously (gpiod_line_set_value, one ioctl).
 */
import type { GpioChip, InputLine, OutputLine } from "../chip";
import { GpioError } from "../chip";
import type { LibgpiodConfig } from "./config";
import { loadLibgpiod, type LibgpiodChip, type LibgpiodLine, type LibgpiodModule } from "./load";

type Edge = "rising" | "falling" | "both";

interface Poll {
  line: LibgpiodLine;
  last: 0 | 1;
  edge: Edge;
  onChange: (value: 0 | 1, t: number) => void;
}

export class LibgpiodChipBackend implements GpioChip {
  private chip: LibgpiodChip | undefined;
  private readonly held = new Map<string, LibgpiodLine>();
  private readonly polls = new Set<Poll>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly cfg: LibgpiodConfig,
    private readonly clock: () => number = Date.now,
    private readonly load: () => LibgpiodModule = () => loadLibgpiod(),
  ) {}

  /** Opens the chip (done implicitly by the first line request); throws GpioError with the reason. */
  open(): LibgpiodChip {
    if (this.chip) return this.chip;
    const mod = this.load();
    try {
      this.chip = new mod.Chip(this.cfg.chip);
    } catch (err) {
      let names: string[] = [];
      try {
        names = mod.getChipNames();
      } catch {
        names = [];
      }
      throw new GpioError(
        `cannot open GPIO chip "${this.cfg.chip}": ${(err as Error).message}; ` +
          (names.length
            ? `chips present: ${names.join(", ")}`
            : "no /dev/gpiochip* on this machine"),
      );
    }
    return this.chip;
  }

  async output(line: number | string, initial: 0 | 1): Promise<OutputLine> {
    const l = this.request(line, (x) => x.requestOutputMode(this.cfg.consumer, initial));
    let level = initial;
    return {
      set: (v) => {
        l.setValue(v);
        level = v;
      },
      get: () => level,
      release: async () => this.release(line, l),
    };
  }

  async input(
    line: number | string,
    edge: Edge,
    onChange: (value: 0 | 1, t: number) => void,
  ): Promise<InputLine> {
    const l = this.request(line, (x) => x.requestInputMode(this.cfg.consumer));
    const poll: Poll = { line: l, last: l.getValue(), edge, onChange };
    this.polls.add(poll);
    this.timer ??= setInterval(() => this.sample(), this.cfg.pollMs);
    return {
      get: () => l.getValue(),
      release: async () => {
        this.polls.delete(poll);
        this.release(line, l);
      },
    };
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.polls.clear();
    for (const l of this.held.values()) l.release();
    this.held.clear();
    this.chip = undefined; // the native handle closes when collected
  }

  private request(line: number | string, how: (l: LibgpiodLine) => unknown): LibgpiodLine {
    const key = String(line);
    if (this.held.has(key)) throw new GpioError(`line ${key} is already requested`);
    const chip = this.open();
    let l: LibgpiodLine;
    try {
      l = chip.getLine(line);
      how(l);
    } catch (err) {
      throw new GpioError(
        `cannot request line ${key} on ${this.cfg.chip}: ${(err as Error).message}`,
      );
    }
    this.held.set(key, l);
    return l;
  }

  private release(line: number | string, l: LibgpiodLine): void {
    if (this.held.get(String(line)) !== l) return;
    this.held.delete(String(line));
    l.release();
  }

  private sample(): void {
    const t = this.clock();
    for (const p of this.polls) {
      const v = p.line.getValue();
      if (v === p.last) continue;
      p.last = v;
      if (
        p.edge === "both" ||
        (p.edge === "rising" && v === 1) ||
        (p.edge === "falling" && v === 0)
      )
        p.onChange(v, t);
    }
  }
}
