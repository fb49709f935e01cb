/**
 * Puts each device's telemetry back in the order the device sent it before the rules see it.
 *
 * A device numbers its telemetry messages 0, 1, 2, ... within a boot, with no gap (firmware
 * contracts: `seq`). After a restart of the processor, the broker or the device, a backlog and
 * live messages can arrive interleaved, and an event-time rule would skip the older readings
 * as late. So per device the next expected seq is kept: the expected message is released at
 * once (no delay in the common case), a message after a gap is held until the gap fills, and a
 * message below the expected seq was released before (a redelivery: not released again).
 *
 * A gap that does not fill within `holdMs` (wall clock) is given up: what is held is released
 * in seq order and the missing seqs are reported through `gaveUp`, so nothing waits forever on
 * a message the device itself dropped. Held messages per device are bounded by `maxHeld`, and
 * a seq more than `maxJump` ahead is no gap to wait for: it is released at once and the
 * position stays (one bogus seq must not make every later message look already seen).
 *
 * Boots: a device's first message of a new boot id starts that boot. If its seq is 0 it is
 * released at once; otherwise the seqs before it are waited for like any gap. What is held of
 * the previous boot is released first. A message of an earlier boot arriving after the switch
 * is reported through `late` and released (the evaluator then judges it by its times).
 *
 * Positions survive restarts (`positions()` / `restore()`), so a processor that comes back
 * knows which messages its rules already saw.
 */

export interface Position {
  boot: string;
  next: number;
}

export interface SequencerOptions<T> {
  /** How long a gap may hold later messages back (wall-clock ms). */
  holdMs: number;
  /** Most messages held per device; past it the gap is given up. */
  maxHeld: number;
  release: (device: string, item: T) => void;
  /** The seqs [from, to] of `boot` never arrived in time: the rules go on without them. */
  gaveUp?: (device: string, boot: string, from: number, to: number) => void;
  /** A seq further ahead of the expected one than this is bogus, not a gap (default 100,000). */
  maxJump?: number;
  /** A seq more than `maxJump` ahead of the expected one: released as it is, the position kept. */
  outOfRange?: (device: string, boot: string, seq: number, expected: number) => void;
  /** A message of an earlier boot after the device moved to a newer one. */
  late?: (device: string, boot: string, seq: number) => void;
  now?: () => number;
}

interface DeviceOrder<T> {
  boot: string;
  next: number;
  held: Map<number, T>;
  /** Lowest held seq (valid while `held` is not empty). */
  minHeld: number;
  /** When the current gap opened (wall clock). */
  since: number;
  /** Boot ids this device left (the last few), to tell a straggler from a new boot. */
  earlier: string[];
}

export type Offer = "released" | "held" | "seen" | "late";

export class Sequencer<T> {
  private readonly devices = new Map<string, DeviceOrder<T>>();
  private readonly now: () => number;
  private heldCount = 0;

  constructor(private readonly o: SequencerOptions<T>) {
    this.now = o.now ?? Date.now;
  }

  /** Messages held back, over all devices. */
  get held(): number {
    return this.heldCount;
  }

  /** Hands one message over; it is released now, later, or not at all (already released). */
  offer(device: string, boot: string, seq: number, item: T): Offer {
    let d = this.devices.get(device);
    if (!d) {
      // First message ever seen of this device: it starts the order.
      d = { boot, next: seq, held: new Map(), minHeld: Infinity, since: 0, earlier: [] };
      this.devices.set(device, d);
    } else if (d.boot !== boot) {
      if (d.earlier.includes(boot)) {
        this.o.late?.(device, boot, seq);
        this.o.release(device, item);
        return "late";
      }
      this.releaseHeld(device, d);
      d.earlier.push(d.boot);
      if (d.earlier.length > 4) d.earlier.shift();
      d.boot = boot;
      d.next = 0;
    }
    if (seq < d.next) return "seen";
    if (seq === d.next) {
      d.next++;
      this.o.release(device, item);
      if (d.held.size > 0) this.drain(device, d);
      return "released";
    }
    if (seq - d.next > (this.o.maxJump ?? 100_000)) {
      // Further ahead than could ever be held: a bogus seq, not a gap to wait for. Taking it
      // as the new position would make every real message after it look already seen.
      this.o.outOfRange?.(device, boot, seq, d.next);
      this.o.release(device, item);
      return "released";
    }
    if (d.held.has(seq)) return "seen";
    if (d.held.size === 0) d.since = this.now();
    d.held.set(seq, item);
    this.heldCount++;
    if (seq < d.minHeld) d.minHeld = seq;
    if (d.held.size > this.o.maxHeld) this.giveUp(device, d);
    return "held";
  }

  /** Gives up the gaps that have held messages back for `holdMs` or longer. */
  expire(): void {
    const now = this.now();
    for (const [device, d] of this.devices) {
      if (d.held.size > 0 && now - d.since >= this.o.holdMs) this.giveUp(device, d);
    }
  }

  /** Where each device's order stands (for a checkpoint). Held messages are not included:
   *  they were not released, so after a restart they are expected again. */
  positions(): Record<string, Position> {
    const out: Record<string, Position> = {};
    for (const [device, d] of this.devices) out[device] = { boot: d.boot, next: d.next };
    return out;
  }

  restore(positions: Record<string, Position>): void {
    for (const [device, p] of Object.entries(positions)) {
      if (typeof p?.boot !== "string" || !Number.isSafeInteger(p.next) || p.next < 0) continue;
      this.devices.set(device, { boot: p.boot, next: p.next, held: new Map(), minHeld: Infinity, since: 0, earlier: [] });
    }
  }

  /** Releases the messages that now follow on without a gap. */
  private drain(device: string, d: DeviceOrder<T>): void {
    for (;;) {
      const item = d.held.get(d.next);
      if (item === undefined) break;
      d.held.delete(d.next);
      this.heldCount--;
      d.next++;
      this.o.release(device, item);
    }
    d.minHeld = d.held.size === 0 ? Infinity : this.lowest(d);
    // The remaining gap opened now, as far as waiting for it goes.
    if (d.held.size > 0) d.since = this.now();
  }

  /** Skips the first gap: reports it and releases what follows it. */
  private giveUp(device: string, d: DeviceOrder<T>): void {
    const from = d.next;
    const to = d.minHeld - 1;
    this.o.gaveUp?.(device, d.boot, from, to);
    d.next = d.minHeld;
    this.drain(device, d);
  }

  /** Releases everything held (the device moved to a new boot), reporting the gaps. */
  private releaseHeld(device: string, d: DeviceOrder<T>): void {
    while (d.held.size > 0) this.giveUp(device, d);
  }

  private lowest(d: DeviceOrder<T>): number {
    let min = Infinity;
    for (const s of d.held.keys()) if (s < min) min = s;
    return min;
  }
}
