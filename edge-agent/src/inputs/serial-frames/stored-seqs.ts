/**
 * The readings seqs of one MCU boot whose readings are in the outbox, kept on disk so a
 * restarted agent still drops (and re-acks) the retransmit of a frame it stored just before
 * it died (firmware-contracts README, "Reliable delivery"; edge-agent README). One small
 * JSON file per serial-frames input, `{boot, seqs}`, rewritten atomically (tmp + rename)
 * right after the outbox append and before the ack. Only MCUs that send a boot id in their
 * hello are remembered: without one a restarted agent cannot tell a retransmit from the
 * first frames of a new MCU boot.
 */
import { readJson, writeJsonAtomic } from "../../agent/state-file";

export type McuBootId = number | string;

/** Seqs kept on disk: far more than frames stored but not yet acked at any moment. */
export const STORED_SEQS_WINDOW = 256;

interface Saved {
  boot: McuBootId;
  seqs: number[];
  /** The MCU clock anchor of that boot (host ms minus MCU ms), if known. */
  anchor?: number;
}

export class StoredSeqs {
  private boot: McuBootId | undefined;
  /** Oldest first, at most `window`. */
  private seqs: number[] = [];
  private anchor: number | undefined;

  constructor(
    /** Absent: kept in memory only. */
    private readonly file: string | undefined,
    private readonly window = STORED_SEQS_WINDOW,
  ) {}

  /** The saved state, if the file holds a valid one (anything else reads as none). */
  load(): Saved | undefined {
    if (!this.file) return undefined;
    const s = readJson<Partial<Saved>>(this.file);
    if (!s || !isBootId(s.boot) || !Array.isArray(s.seqs)) return undefined;
    const seqs = s.seqs.filter((x): x is number => Number.isInteger(x) && x >= 0 && x <= 0xffff);
    this.boot = s.boot;
    this.seqs = seqs.slice(-this.window);
    this.anchor = typeof s.anchor === "number" && Number.isFinite(s.anchor) ? s.anchor : undefined;
    return { boot: this.boot, seqs: [...this.seqs], ...(this.anchor !== undefined ? { anchor: this.anchor } : {}) };
  }

  /** The seqs stored for MCU boot `boot`, oldest first. */
  seqsOf(boot: McuBootId | undefined): number[] {
    return boot !== undefined && boot === this.boot ? [...this.seqs] : [];
  }

  /**
   * These readings seqs of MCU boot `boot` are in the outbox: on disk when this returns
   * (throws if the write fails). Another boot replaces the previous one's seqs.
   */
  add(boot: McuBootId, seqs: readonly number[], anchor?: number): void {
    let changed = boot !== this.boot;
    if (changed) {
      this.boot = boot;
      this.seqs = [];
      this.anchor = undefined;
    }
    if (anchor !== undefined && anchor !== this.anchor) {
      this.anchor = anchor;
      changed = true;
    }
    for (const seq of seqs) {
      if (this.seqs.includes(seq)) continue; // a retransmit acked again: nothing new
      this.seqs.push(seq);
      changed = true;
    }
    if (this.seqs.length > this.window) this.seqs.splice(0, this.seqs.length - this.window);
    // Not fsync'd: this file must survive the agent being killed, which the rename gives, and
    // the time between the outbox append and this rename is the one window in which a kill
    // can still store a re-sent frame twice (an fsync made it milliseconds; now it is tens of
    // microseconds). After a power loss the MCU restarts too, with a new boot id, so the
    // previous boot's seqs no longer matter; an MCU powered on its own may see a frame of
    // the last moments stored twice, never lost.
    if (changed && this.file) {
      const saved: Saved = { boot, seqs: this.seqs, ...(this.anchor !== undefined ? { anchor: this.anchor } : {}) };
      writeJsonAtomic(this.file, saved, { durable: false });
    }
  }
}

function isBootId(x: unknown): x is McuBootId {
  return (typeof x === "number" && Number.isInteger(x) && x >= 0) || (typeof x === "string" && x.length > 0);
}
