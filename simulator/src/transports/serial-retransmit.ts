/**
 * The MCU side of reliable delivery (firmware-contracts README, "Reliable delivery"): readings
 * frames are kept, bytes unchanged, until the host acknowledges their seq with an
 * `ack {of: "readings"}` frame, and handed back for re-sending when no ack came within
 * `timeoutMs`. The buffer holds at most `capacity` frames; when full the oldest is dropped
 * (its readings are lost, counted in `dropped`). Pure: the serial transport feeds it the
 * bytes read from its pty end and writes what `due` returns.
 */
import { FrameDecoder } from "@fieldline/firmware-contracts";

interface Kept {
  bytes: Uint8Array;
  readings: number;
  sentAt: number;
}

export interface RetransmitStats {
  /** Frames re-sent. */
  retransmits: number;
  /** Frames dropped unacknowledged because the buffer was full. */
  dropped: number;
  /** Readings in dropped frames. */
  droppedReadings: number;
  /** Acks received for a kept frame. */
  acked: number;
}

export class UnackedFrames {
  readonly stats: RetransmitStats = { retransmits: 0, dropped: 0, droppedReadings: 0, acked: 0 };
  private readonly kept = new Map<number, Kept>();
  private readonly decoder = new FrameDecoder();

  constructor(
    private readonly timeoutMs: number,
    private readonly capacity: number,
  ) {}

  get size(): number {
    return this.kept.size;
  }

  /** A readings frame was just written. */
  sent(seq: number, bytes: Uint8Array, readings: number, now: number): void {
    this.kept.delete(seq);
    this.kept.set(seq, { bytes, readings, sentAt: now });
    if (this.kept.size > this.capacity) {
      const [oldest, k] = this.kept.entries().next().value!;
      this.kept.delete(oldest);
      this.stats.dropped++;
      this.stats.droppedReadings += k.readings;
    }
  }

  /** Bytes read from the host: ack frames release kept frames; anything else is ignored. */
  received(chunk: Uint8Array): void {
    for (const r of this.decoder.push(chunk)) {
      if (!r.ok || r.frame.type !== "ack" || r.frame.body.of !== "readings") continue;
      const id = r.frame.body.id;
      if (typeof id === "number" && this.kept.delete(id)) this.stats.acked++;
    }
  }

  /** The MCU rebooted: what was kept is gone. */
  clear(): void {
    this.kept.clear();
    this.decoder.reset();
  }

  /** Up to `max` kept frames unacknowledged for `timeoutMs`, oldest first; marked re-sent at `now`. */
  due(now: number, max: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (const [seq, k] of this.kept) {
      if (out.length >= max) break;
      if (now - k.sentAt < this.timeoutMs) continue;
      out.push(k.bytes);
      // Re-inserted at the end, so the next round starts with the ones not re-sent yet.
      this.kept.delete(seq);
      this.kept.set(seq, { ...k, sentAt: now });
    }
    this.stats.retransmits += out.length;
    return out;
  }
}
