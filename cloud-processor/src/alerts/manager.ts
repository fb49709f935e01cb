/**
 * The alert lifecycle: raised -> (updated)* -> (acknowledged) -> cleared, one active alert per
 * (rule, device).
 *
 * - fire with no active alert: raised. fire while active: the latest value is kept; a higher
 *   severity publishes `updated`. fire during a clear hold cancels the hold (a flap).
 * - clear starts a hold of `clearHoldMs`; only if no fire arrives in that time is the alert
 *   cleared. A condition that flaps therefore yields one alert, not a storm.
 * - An active, unacknowledged alert is re-published as `updated` every `renotifyMs`.
 * - acknowledge marks it `acknowledged` (no more re-notifications); it stays active until
 *   its condition clears.
 * Every state change for a key runs through KeyedSerial, so outputs see them in order.
 * Holds and re-notifications run on wall time (`tick(now)`); alerts carry event time `t`.
 */
import type { Alert, AlertState, Severity } from "@fieldline/firmware-contracts";
import type { Logger } from "pino";
import { KeyedSerial } from "./keyed-serial.ts";
import type { AlertOutput } from "./outputs.ts";
import type { AlertSignal } from "./signal.ts";

export interface AlertManagerOptions {
  clearHoldMs: number;
  renotifyMs: number;
  now?: () => number;
}

interface Entry {
  alert: Alert;
  clearAt: number | undefined;
  lastNotified: number;
}

const RANK: Record<Severity, number> = { info: 0, warning: 1, critical: 2 };

export interface AlertCounters {
  transition(state: AlertState): void;
  flap(): void;
  outputError(): void;
}

export class AlertManager {
  private readonly active = new Map<string, Entry>();
  private readonly serial = new KeyedSerial();
  private readonly now: () => number;

  constructor(
    private readonly outputs: AlertOutput[],
    private readonly opts: AlertManagerOptions,
    private readonly log: Logger,
    private readonly counters?: AlertCounters,
  ) {
    this.now = opts.now ?? Date.now;
  }

  /** Restores the active set (from the alert history) without publishing. */
  restore(alerts: Alert[]): void {
    for (const a of alerts) this.active.set(key(a.rule, a.device), { alert: a, clearAt: undefined, lastNotified: this.now() });
  }

  list(): Alert[] {
    return [...this.active.values()].map((e) => e.alert);
  }

  get(id: string): Alert | undefined {
    for (const e of this.active.values()) if (e.alert.id === id) return e.alert;
    return undefined;
  }

  signal(s: AlertSignal): Promise<void> {
    const k = key(s.rule, s.device);
    return this.serial.run(k, async () => {
      const e = this.active.get(k);
      if (s.kind === "fire") {
        if (!e) {
          const alert: Alert = {
            v: 1,
            id: `${s.site}.${s.device}.${s.rule}.${s.t}`,
            site: s.site,
            device: s.device,
            rule: s.rule,
            state: "raised",
            severity: s.severity,
            t: s.t,
            raisedAt: s.t,
            ...details(s),
          };
          this.active.set(k, { alert, clearAt: undefined, lastNotified: this.now() });
          await this.emit(alert);
          return;
        }
        if (e.clearAt !== undefined) {
          e.clearAt = undefined;
          this.counters?.flap();
        }
        const escalated = RANK[s.severity] > RANK[e.alert.severity];
        e.alert = { ...e.alert, ...details(s), severity: escalated ? s.severity : e.alert.severity };
        if (escalated) {
          e.alert = { ...e.alert, state: "updated", t: s.t };
          e.lastNotified = this.now();
          await this.emit(e.alert);
        }
        return;
      }
      if (!e || e.clearAt !== undefined) return;
      if (s.value !== undefined) e.alert = { ...e.alert, value: s.value };
      if (this.opts.clearHoldMs === 0) await this.clear(k, e, s.t);
      else e.clearAt = this.now() + this.opts.clearHoldMs;
      e.alert = { ...e.alert, t: s.t };
    });
  }

  /** Acknowledges an active alert; resolves to it, or undefined if there is none by that id. */
  async acknowledge(id: string, by: string): Promise<Alert | undefined> {
    const found = this.get(id);
    if (!found) return undefined;
    const k = key(found.rule, found.device);
    let result: Alert | undefined;
    await this.serial.run(k, async () => {
      const e = this.active.get(k);
      if (!e || e.alert.id !== id) return;
      if (e.alert.state !== "acknowledged") {
        e.alert = { ...e.alert, state: "acknowledged", ackBy: by, t: Math.max(e.alert.t, this.now()) };
        await this.emit(e.alert);
      }
      result = e.alert;
    });
    return result;
  }

  /** Finishes clear holds that are due and re-notifies; call periodically. */
  tick(now = this.now()): Promise<void> {
    const work: Promise<void>[] = [];
    for (const [k, e] of this.active) {
      if (e.clearAt !== undefined && now >= e.clearAt) {
        work.push(
          this.serial.run(k, async () => {
            const cur = this.active.get(k);
            if (cur && cur.clearAt !== undefined && now >= cur.clearAt) await this.clear(k, cur, cur.alert.t);
          }),
        );
      } else if (
        this.opts.renotifyMs > 0 &&
        e.clearAt === undefined &&
        e.alert.state !== "acknowledged" &&
        now - e.lastNotified >= this.opts.renotifyMs
      ) {
        work.push(
          this.serial.run(k, async () => {
            const cur = this.active.get(k);
            if (!cur || cur.alert.state === "acknowledged") return;
            cur.lastNotified = now;
            cur.alert = { ...cur.alert, state: "updated" };
            await this.emit(cur.alert);
          }),
        );
      }
    }
    return Promise.all(work).then(() => undefined);
  }

  idle(): Promise<void> {
    return this.serial.idle();
  }

  private async clear(k: string, e: Entry, t: number): Promise<void> {
    this.active.delete(k);
    await this.emit({ ...e.alert, state: "cleared", t });
  }

  private async emit(alert: Alert): Promise<void> {
    this.counters?.transition(alert.state);
    const results = await Promise.allSettled(this.outputs.map((o) => o.emit(alert)));
    for (const r of results) {
      if (r.status === "rejected") {
        this.counters?.outputError();
        this.log.error({ alert: alert.id, state: alert.state, err: (r.reason as Error).message }, "alert output failed");
      }
    }
  }
}

function key(rule: string, device: string): string {
  return `${rule}\u0000${device}`;
}

function details(s: AlertSignal): Partial<Alert> {
  const d: Partial<Alert> = {};
  if (s.message !== undefined) d.message = s.message.slice(0, 1024);
  if (s.value !== undefined) d.value = s.value;
  if (s.score !== undefined) d.score = Math.min(1, Math.max(0, s.score));
  return d;
}
