/**
 * End-to-end acknowledgements: once a telemetry message's points are durably written, the
 * device is told on its `stored` topic (firmware-contracts), and only then does its outbox
 * forget the message. A broker or processor that loses a message in between can never make
 * the device forget it: the device re-sends, and dedupe keeps the sink exact.
 *
 * Seqs are gathered per (device, boot) and sent as ascending ranges every `intervalMs`, so a
 * busy device gets a few small messages a second, not one per telemetry message.
 */
import { encodePayload, topics } from "@fieldline/firmware-contracts";
import type { Logger } from "pino";

export type StoredPublish = (topic: string, payload: Uint8Array) => Promise<void>;

interface Pending {
  site: string;
  boots: Map<string, number[]>;
}

/** Most ranges in one message (the contract's bound). */
const MAX_RANGES = 1024;

export class StoredAcks {
  private pending = new Map<string, Pending>();
  private timer: NodeJS.Timeout | undefined;
  /** Messages published (for metrics and tests). */
  sent = 0;

  constructor(
    private readonly publish: StoredPublish,
    private readonly intervalMs: number,
    private readonly log: Logger,
    private readonly clock: () => number = Date.now,
  ) {}

  /** The message (device, boot, seq) is durably stored. */
  add(site: string, device: string, boot: string, seq: number): void {
    let p = this.pending.get(device);
    if (!p) {
      p = { site, boots: new Map() };
      this.pending.set(device, p);
    }
    const seqs = p.boots.get(boot);
    if (seqs) seqs.push(seq);
    else p.boots.set(boot, [seq]);
  }

  start(): void {
    if (this.timer || this.intervalMs <= 0) return;
    this.timer = setInterval(() => this.flush(), this.intervalMs);
    this.timer.unref();
  }

  /** Sends what was gathered (also on stop). */
  flush(): Promise<void> {
    if (this.pending.size === 0) return Promise.resolve();
    const pending = this.pending;
    this.pending = new Map();
    const sends: Promise<void>[] = [];
    const t = this.clock();
    for (const [device, p] of pending) {
      for (const [boot, seqs] of p.boots) {
        const all = toRanges(seqs);
        for (let i = 0; i < all.length; i += MAX_RANGES) {
          const payload = encodePayload("stored", { v: 1, device, boot, t, seqs: all.slice(i, i + MAX_RANGES) });
          this.sent++;
          sends.push(
            this.publish(topics.stored({ site: p.site, device }), payload).catch((err: unknown) => {
              // The device keeps the messages and re-sends them; their duplicates are acknowledged again.
              this.log.warn({ device, boot, err: (err as Error).message }, "stored acknowledgement not sent");
            }),
          );
        }
      }
    }
    return Promise.all(sends).then(() => undefined);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }
}

/** Seqs (any order, repeats allowed) as ascending inclusive ranges. */
export function toRanges(seqs: number[]): [number, number][] {
  const s = Float64Array.from(seqs).sort();
  const out: [number, number][] = [];
  for (let i = 0; i < s.length; i++) {
    const q = s[i]!;
    const last = out[out.length - 1];
    if (last && q <= last[1] + 1) {
      if (q > last[1]) last[1] = q;
    } else out.push([q, q]);
  }
  return out;
}
