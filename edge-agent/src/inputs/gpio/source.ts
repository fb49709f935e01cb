/**
 * Digital inputs on the agent's GPIO chip. Each line is watched on both edges, debounced,
 * and reported as a reading (0/1, inverted when activeLow) when the debounced level changes
 * in the configured edge direction. One reading per line at start gives the initial level.
 */
import type { InputLine } from "../../gpio/chip";
import { defaultInputId } from "../id";
import type { InputDeps, ReadingSource, SourceSink } from "../source";
import type { GpioInputConfig } from "./config";
import { Debouncer } from "./debounce";

export class GpioInputSource implements ReadingSource {
  readonly id: string;
  private held: { line: InputLine; debouncer: Debouncer }[] = [];

  constructor(
    private readonly cfg: GpioInputConfig,
    private readonly deps: InputDeps,
  ) {
    this.id = defaultInputId(cfg);
  }

  async start(sink: SourceSink): Promise<void> {
    const chip = this.deps.gpio;
    if (!chip) throw new Error(`input ${this.id}: no GPIO chip configured`);
    if (this.held.length > 0) return; // already started
    try {
      for (const c of this.cfg.lines) {
        const report = (raw: 0 | 1, t: number) =>
          sink.readings([{ sensor: c.sensor, t, value: c.activeLow ? 1 - raw : raw }]);
        const ref: { debouncer?: Debouncer } = {};
        const wanted = (raw: 0 | 1) => {
          const logical = c.activeLow ? 1 - raw : raw;
          return c.edge === "both" || (c.edge === "rising" ? logical === 1 : logical === 0);
        };
        const line = await chip.input(c.line, "both", (v, t) => ref.debouncer?.edge(v, t));
        const debouncer = new Debouncer(line.get(), c.debounceMs, (v, t) => {
          if (wanted(v)) report(v, t);
        });
        ref.debouncer = debouncer;
        this.held.push({ line, debouncer });
        report(line.get(), this.deps.clock());
      }
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  async stop(): Promise<void> {
    const held = this.held;
    this.held = [];
    for (const h of held) {
      h.debouncer.cancel();
      await h.line.release();
    }
  }
}
