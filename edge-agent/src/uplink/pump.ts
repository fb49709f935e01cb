/**
 * Drains the outbox into the current MQTT session: QoS 1, in append order, at most
 * `window` publishes awaiting PUBACK. A record is acked in the outbox only from its PUBACK
 * callback; when the session drops, the pump rewinds to the oldest unacked record and the
 * next session republishes from there (same bytes, so the cloud dedupes by boot + seq).
 */
import type { MqttClient } from "mqtt";
import type { Outbox, OutboxKind } from "../outbox";

export interface PumpOptions {
  outbox: Outbox;
  topicOf: (kind: OutboxKind) => string;
  window: number;
  clock?: () => number;
  /** Called with the seconds from publish to PUBACK of each record. */
  onAcked?: (kind: OutboxKind, seconds: number) => void;
}

export class Pump {
  private client: MqttClient | undefined;
  private generation = 0;
  private inflight = 0;
  private scheduled = false;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly opts: PumpOptions) {}

  attach(client: MqttClient): void {
    this.generation++;
    this.client = client;
    this.inflight = 0;
    this.opts.outbox.rewind();
    this.kick();
  }

  detach(): void {
    this.generation++;
    this.client = undefined;
    this.inflight = 0;
  }

  /** New records were appended: publish them soon (coalesced to one pass per tick). */
  kick(): void {
    if (this.scheduled || !this.client) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.fill();
    });
  }

  get inFlight(): number {
    return this.inflight;
  }

  /** Resolves once nothing is unacked (or `timeoutMs` passes); false on timeout. */
  drained(timeoutMs: number): Promise<boolean> {
    if (this.opts.outbox.stats().depth === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.idleWaiters = this.idleWaiters.filter((w) => w !== done);
        resolve(false);
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        resolve(true);
      };
      this.idleWaiters.push(done);
    });
  }

  private fill(): void {
    const client = this.client;
    if (!client) return;
    const gen = this.generation;
    const clock = this.opts.clock ?? performance.now.bind(performance);
    while (this.inflight < this.opts.window && this.client === client) {
      const recs = this.opts.outbox.read(this.opts.window - this.inflight);
      if (recs.length === 0) break;
      for (const rec of recs) {
        this.inflight++;
        const started = clock();
        const payload = Buffer.from(rec.payload.buffer, rec.payload.byteOffset, rec.payload.byteLength);
        client.publish(this.opts.topicOf(rec.kind), payload, { qos: 1, retain: rec.retain }, (err) => {
          if (gen !== this.generation) return;
          this.inflight--;
          if (err) return; // the session is going down; rewind() on the next one resends
          this.opts.outbox.ack(rec.id);
          this.opts.onAcked?.(rec.kind, (clock() - started) / 1000);
          if (this.opts.outbox.stats().depth === 0) this.notifyIdle();
          this.kick();
        });
      }
    }
  }

  private notifyIdle(): void {
    const ws = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of ws) w();
  }
}
