/**
 * Dedupe by (device, boot, seq) in bounded memory.
 *
 * Per device the last `bootsPerDevice` boots are kept; per boot a high-water mark (the highest
 * seq seen) and a bitmap of the `window` seqs below it. A seq above the mark advances it (a
 * jump is a gap); a seq inside the window is a duplicate if its bit is set, a late arrival
 * otherwise; a seq older than the window cannot be judged and is accepted (writes are
 * idempotent, so at worst a point is overwritten with itself). A new boot id is a reboot.
 */

export type DedupeVerdict =
  | { kind: "new" }
  | { kind: "duplicate" }
  | { kind: "gap"; from: number; to: number; missing: number }
  | { kind: "late" }
  | { kind: "too-old" }
  | { kind: "reboot"; previousBoot: string | undefined };

export interface DedupeOptions {
  /** Seqs remembered below the high-water mark (rounded up to a multiple of 32). */
  window?: number;
  bootsPerDevice?: number;
}

class BootWindow {
  hwm: number;
  private readonly bits: Uint32Array;
  constructor(
    readonly boot: string,
    first: number,
    private readonly size: number,
  ) {
    this.bits = new Uint32Array(size / 32);
    this.hwm = first;
    this.set(first);
  }

  private idx(seq: number): [number, number] {
    const i = seq % this.size;
    return [i >>> 5, 1 << (i & 31)];
  }

  private set(seq: number): void {
    const [w, b] = this.idx(seq);
    this.bits[w]! |= b;
  }

  private has(seq: number): boolean {
    const [w, b] = this.idx(seq);
    return (this.bits[w]! & b) !== 0;
  }

  private clear(seq: number): void {
    const [w, b] = this.idx(seq);
    this.bits[w]! &= ~b;
  }

  /** Records seq; returns the verdict. */
  see(seq: number): DedupeVerdict {
    if (seq > this.hwm) {
      const jump = seq - this.hwm;
      if (jump >= this.size) this.bits.fill(0);
      else for (let s = this.hwm + 1; s < seq; s++) this.clear(s);
      const from = this.hwm + 1;
      this.hwm = seq;
      this.set(seq);
      return jump > 1 ? { kind: "gap", from, to: seq - 1, missing: jump - 1 } : { kind: "new" };
    }
    if (this.hwm - seq >= this.size) return { kind: "too-old" };
    if (this.has(seq)) return { kind: "duplicate" };
    this.set(seq);
    return { kind: "late" };
  }
}

export class Deduper {
  private readonly devices = new Map<string, BootWindow[]>();
  private readonly window: number;
  private readonly bootsPerDevice: number;

  constructor(opts: DedupeOptions = {}) {
    this.window = Math.max(32, Math.ceil((opts.window ?? 4096) / 32) * 32);
    this.bootsPerDevice = Math.max(1, opts.bootsPerDevice ?? 2);
  }

  get deviceCount(): number {
    return this.devices.size;
  }

  check(device: string, boot: string, seq: number): DedupeVerdict {
    let boots = this.devices.get(device);
    if (!boots) {
      boots = [];
      this.devices.set(device, boots);
    }
    const w = boots.find((b) => b.boot === boot);
    if (w) return w.see(seq);
    const previousBoot = boots[boots.length - 1]?.boot;
    boots.push(new BootWindow(boot, seq, this.window));
    if (boots.length > this.bootsPerDevice) boots.shift();
    return { kind: "reboot", previousBoot };
  }
}
