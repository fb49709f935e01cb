/**
 * The output lines rules and commands may drive, by name. A latched line keeps the level a
 * shutoff drove it to until `clearLatch` (the clear-latch command); while latched, neither a
 * rule clearing nor a set-output command moves it.
 */
import type { OutputLine } from "../gpio/chip";

export interface LineState {
  name: string;
  value: 0 | 1;
  latchedBy?: string;
}

export class ActuatorError extends Error {
  override name = "ActuatorError";
}

export interface LatchRecord {
  line: string;
  value: 0 | 1;
  rule: string;
}

export class Actuators {
  private readonly latches = new Map<string, string>();
  private readonly byNumber = new Map<number, string>();

  /**
   * `lines`: name -> requested output line; `offsets`: name -> configured line ref;
   * `onLatchChange`: persists the latches so a restart keeps a shutoff shut.
   */
  constructor(
    private readonly lines: Map<string, OutputLine>,
    offsets: Record<string, number | string> = {},
    private readonly onLatchChange: (latches: LatchRecord[]) => void = () => undefined,
  ) {
    for (const [name, ref] of Object.entries(offsets)) if (typeof ref === "number") this.byNumber.set(ref, name);
  }

  /** Re-applies latches saved before a restart: drives each line and latches it again. */
  restore(latches: LatchRecord[]): string[] {
    const restored: string[] = [];
    for (const l of latches) {
      const line = this.lines.get(l.line);
      if (!line) continue;
      line.set(l.value);
      this.latches.set(l.line, l.rule);
      restored.push(l.line);
    }
    return restored;
  }

  latchRecords(): LatchRecord[] {
    return [...this.latches].map(([line, rule]) => ({ line, rule, value: this.lines.get(line)!.get() }));
  }

  /** The configured name of a line ref (a name, or a number matching a configured offset). */
  resolve(ref: string | number): string | undefined {
    if (typeof ref === "number") return this.byNumber.get(ref);
    return this.lines.has(ref) ? ref : undefined;
  }

  /** Drive from a rule. Returns false if the line is latched (by any rule) and stays put. */
  drive(ref: string | number, value: 0 | 1, latch: boolean, rule: string): boolean {
    const name = this.mustResolve(ref);
    if (this.latches.has(name)) return false;
    this.lines.get(name)!.set(value);
    if (latch) {
      this.latches.set(name, rule);
      this.onLatchChange(this.latchRecords());
    }
    return true;
  }

  /** set-output command. Throws on a latched or unknown line. */
  set(ref: string | number, value: 0 | 1): void {
    const name = this.mustResolve(ref);
    const by = this.latches.get(name);
    if (by !== undefined) throw new ActuatorError(`line ${name} is latched by rule ${by}; clear the latch first`);
    this.lines.get(name)!.set(value);
  }

  /** Clears the latch on one line, or on every line. Returns the lines that were latched. */
  clearLatch(ref?: string | number): string[] {
    let cleared: string[];
    if (ref === undefined) {
      cleared = [...this.latches.keys()];
      this.latches.clear();
    } else {
      const name = this.mustResolve(ref);
      cleared = this.latches.delete(name) ? [name] : [];
    }
    if (cleared.length > 0) this.onLatchChange(this.latchRecords());
    return cleared;
  }

  isLatched(ref: string | number): boolean {
    const name = this.resolve(ref);
    return name !== undefined && this.latches.has(name);
  }

  get latchedCount(): number {
    return this.latches.size;
  }

  states(): LineState[] {
    return [...this.lines].map(([name, line]) => {
      const latchedBy = this.latches.get(name);
      return { name, value: line.get(), ...(latchedBy ? { latchedBy } : {}) };
    });
  }

  private mustResolve(ref: string | number): string {
    const name = this.resolve(ref);
    if (name === undefined) throw new ActuatorError(`no output line ${JSON.stringify(ref)} in gpio.outputs`);
    return name;
  }
}
