/**
 * Turns anomaly scores into alert signals: a score >= threshold fires `anomaly.<sensor>` for
 * the device; the alert clears once a series has gone `clearAfterMs` of event time without a
 * detection.
 */
import type { AlertSignal } from "./signal.ts";

export class AnomalyAlerts {
  /** series -> event time of the last detection, for series with an open condition. */
  private readonly open = new Map<string, number>();

  constructor(
    private readonly threshold: number,
    private readonly clearAfterMs: number,
  ) {}

  static ruleFor(sensor: string): string {
    return `anomaly.${sensor}`;
  }

  /** Re-opens the conditions of active anomaly alerts (after a restart) so they can clear. */
  restore(active: readonly { rule: string; device: string; t: number }[]): void {
    for (const a of active) {
      if (a.rule.startsWith("anomaly.")) this.open.set(a.device + "\u0000" + a.rule.slice("anomaly.".length), a.t);
    }
  }

  /** Returns a signal when the series' condition starts, continues (score) or ends. */
  observe(site: string, device: string, sensor: string, t: number, value: number, score: number): AlertSignal | undefined {
    // Hot path (every scored reading): below threshold with no open condition anywhere
    // allocates nothing.
    if (score < this.threshold && this.open.size === 0) return undefined;
    const k = device + "\u0000" + sensor;
    const rule = AnomalyAlerts.ruleFor(sensor);
    if (score >= this.threshold) {
      this.open.set(k, t);
      return {
        kind: "fire",
        rule,
        site,
        device,
        t,
        severity: "warning",
        value,
        score,
        message: `anomaly score ${score.toFixed(4)} on ${sensor} (value ${value})`,
      };
    }
    const last = this.open.get(k);
    if (last !== undefined && t - last >= this.clearAfterMs) {
      this.open.delete(k);
      return { kind: "clear", rule, site, device, t, severity: "warning", value, score };
    }
    return undefined;
  }
}
