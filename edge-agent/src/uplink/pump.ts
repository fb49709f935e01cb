/**
 * Drains the outbox into the current MQTT session: QoS 1, in append order, at most
 * `window` publishes awaiting PUBACK. When the session drops, the pump rewinds to the oldest
 * unreleased record and the next session republishes from there (same bytes, so the cloud
 * dedupes by boot + seq).
 *
 * When a record is released depends on `release`:
 * - "stored" (the default): a telemetry record is released only when the cloud says its
 *   readings are stored (the `stored` topic, see `stored()`); its PUBACK only frees a slot of
 *   the window. At most `storedWindow` telemetry records wait for that at once; past it the
 *   pump stops reading the outbox, which keeps the backlog on disk. If the oldest unconfirmed
 *   record has waited `resendMs` while connected (whatever newer records were confirmed
 *   meanwhile), the pump republishes from it, and waits twice as long before the next such
 *   resend (up to 16 times), until that record is confirmed. Other kinds are released on
 *   their PUBACK.
 * - "puback": every record is released on its PUBACK (for a cloud that sends no `stored`).
 */
import type { MqttClient } from "mqtt";
import { peekEnvelope } from "@fieldline/firmware-contracts";
import type { Outbox, OutboxKind } from "../outbox";

export interface PumpOptions {
  outbox: Outbox;
  topicOf: (kind: OutboxKind) => string;
  window: number;
  release?: "stored" | "puback";
  /** Most telemetry records published and not yet confirmed stored. */
  storedWindow?: number;
  /** Republish what is unconfirmed after this long without any confirmation. */
  resendMs?: number;
  clock?: () => number;
  /** Called with the seconds from publish to PUBACK of each record. */
  onAcked?: (kind: OutboxKind, seconds: number) => void;
  /** Called when unconfirmed records are republished (how many were waiting). */
  onResend?: (waiting: number) => void;
}

export class Pump {
  private client: MqttClient | undefined;
  private generation = 0;
  private inflight = 0;
  private scheduled = false;
  private idleWaiters: (() => void)[] = [];
  /** Telemetry records published and waiting for the cloud's `stored`, by boot then seq. */
  private awaiting = new Map<string, Map<number, number>>();
  /** When each waiting record (by outbox id) was published, oldest first. */
  private sentAt = new Map<number, number>();
  private awaitingCount = 0;
  private resendAfter: number;
  private resendTimer: NodeJS.Timeout | undefined;
  /** Records republished because the cloud confirmed nothing in time. */
  resends = 0;

  constructor(private readonly opts: PumpOptions) {
    this.resendAfter = opts.resendMs ?? 30_000;
  }

  private get byStored(): boolean {
    return (this.opts.release ?? "stored") === "stored";
  }

  attach(client: MqttClient): void {
    this.client = client;
    this.restart();
    if (this.byStored && !this.resendTimer) {
      const every = Math.max(50, Math.min(1000, (this.opts.resendMs ?? 30_000) / 4));
      this.resendTimer = setInterval(() => this.checkResend(), every);
      this.resendTimer.unref();
    }
  }

  detach(): void {
    this.generation++;
    this.client = undefined;
    this.inflight = 0;
    this.clearAwaiting();
    if (this.resendTimer) clearInterval(this.resendTimer);
    this.resendTimer = undefined;
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

  /** Telemetry records published and not yet confirmed stored. */
  get unconfirmed(): number {
    return this.awaitingCount;
  }

  /** The cloud stored these telemetry seqs of `boot`: their records are released. */
  stored(boot: string, ranges: readonly (readonly [number, number])[]): void {
    const waiting = this.awaiting.get(boot);
    if (!waiting) return;
    let released = 0;
    for (const [from, to] of ranges) {
      if (to - from + 1 > waiting.size) {
        for (const [seq, id] of waiting) {
          if (seq < from || seq > to) continue;
          waiting.delete(seq);
          this.sentAt.delete(id);
          this.opts.outbox.ack(id);
          released++;
        }
      } else {
        for (let s = from; s <= to; s++) {
          const id = waiting.get(s);
          if (id === undefined) continue;
          waiting.delete(s);
          this.sentAt.delete(id);
          this.opts.outbox.ack(id);
          released++;
        }
      }
    }
    if (waiting.size === 0) this.awaiting.delete(boot);
    if (released === 0) return;
    this.awaitingCount -= released;
    this.resendAfter = this.opts.resendMs ?? 30_000;
    if (this.opts.outbox.stats().depth === 0) this.notifyIdle();
    this.kick();
  }

  /** Resolves once nothing is unreleased (or `timeoutMs` passes); false on timeout. */
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

  /** Starts over at the oldest unreleased record, on the current session. */
  private restart(): void {
    this.generation++;
    this.inflight = 0;
    this.clearAwaiting();
    this.opts.outbox.rewind();
    this.kick();
  }

  private clearAwaiting(): void {
    this.awaiting.clear();
    this.sentAt.clear();
    this.awaitingCount = 0;
  }

  /**
   * The oldest unconfirmed record has waited `resendAfter`: republish from it. Confirmations
   * of newer records do not count as progress for it (a record the broker lost before the
   * processor subscribed again would otherwise wait while newer ones are confirmed).
   */
  private checkResend(): void {
    if (!this.client || this.awaitingCount === 0) return;
    const oldest = this.sentAt.values().next().value;
    if (oldest === undefined || this.now() - oldest < this.resendAfter) return;
    const base = this.opts.resendMs ?? 30_000;
    this.resendAfter = Math.min(this.resendAfter * 2, base * 16);
    this.resends += this.awaitingCount;
    this.opts.onResend?.(this.awaitingCount);
    this.restart();
  }

  private now(): number {
    return (this.opts.clock ?? performance.now.bind(performance))();
  }

  private fill(): void {
    const client = this.client;
    if (!client) return;
    const gen = this.generation;
    const clock = this.opts.clock ?? performance.now.bind(performance);
    const byStored = this.byStored;
    const storedWindow = this.opts.storedWindow ?? 1000;
    while (this.inflight < this.opts.window && this.client === client) {
      if (byStored && this.awaitingCount >= storedWindow) break;
      const room = this.opts.window - this.inflight;
      const recs = this.opts.outbox.read(byStored ? Math.min(room, storedWindow - this.awaitingCount) : room);
      if (recs.length === 0) break;
      for (const rec of recs) {
        this.inflight++;
        const started = clock();
        // A telemetry record is named by its envelope, to be released by the cloud's `stored`.
        const ids = byStored && rec.kind === "telemetry" ? peekEnvelope(rec.payload) : undefined;
        if (ids) {
          let waiting = this.awaiting.get(ids.boot);
          if (!waiting) this.awaiting.set(ids.boot, (waiting = new Map()));
          if (!waiting.has(ids.seq)) this.awaitingCount++;
          waiting.set(ids.seq, rec.id);
          this.sentAt.set(rec.id, this.now());
        }
        const payload = Buffer.from(rec.payload.buffer, rec.payload.byteOffset, rec.payload.byteLength);
        client.publish(this.opts.topicOf(rec.kind), payload, { qos: 1, retain: rec.retain }, (err) => {
          if (gen !== this.generation) return;
          this.inflight--;
          if (err) return; // the session is going down; the next one resends
          if (!ids) this.opts.outbox.ack(rec.id);
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
