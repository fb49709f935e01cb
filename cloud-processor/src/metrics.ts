/** Prometheus metrics of one processor, on its own registry (no global state). */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export class Metrics {
  readonly registry = new Registry();
  readonly messages: Counter<"result">;
  readonly readings: Counter;
  readonly nonFinite: Counter;
  readonly badPayloads: Counter<"reason">;
  readonly duplicates: Counter;
  readonly gaps: Counter;
  readonly missingSeqs: Counter;
  readonly lateMessages: Counter;
  readonly reboots: Counter;
  readonly orderHeld: Gauge;
  readonly timeQuarantined: Counter;
  readonly rulesLate: Gauge;
  readonly orderGaveUp: Counter;
  readonly orderLate: Counter;
  readonly pointsWritten: Counter;
  readonly sinkErrors: Counter<"retryable">;
  readonly pointsRejected: Counter;
  readonly writeSeconds: Histogram;
  readonly buffered: Gauge;
  readonly inflight: Gauge;
  readonly paused: Gauge;
  readonly alertTransitions: Counter<"state">;
  readonly alertFlaps: Counter;
  readonly alertOutputErrors: Counter;
  readonly activeAlerts: Gauge;
  readonly detectorSeries: Gauge;
  readonly mqttConnected: Gauge;
  readonly sinkHealthy: Gauge;

  constructor(opts: { defaults?: boolean } = {}) {
    const r = [this.registry];
    const p = "fieldline_processor_";
    if (opts.defaults !== false) collectDefaultMetrics({ register: this.registry, prefix: p });
    this.messages = new Counter({ name: `${p}messages_total`, help: "MQTT messages by result", labelNames: ["result"], registers: r });
    this.readings = new Counter({ name: `${p}readings_total`, help: "Readings accepted", registers: r });
    this.nonFinite = new Counter({ name: `${p}readings_nonfinite_total`, help: "Readings with NaN/Inf values (stored as a fault field)", registers: r });
    this.badPayloads = new Counter({ name: `${p}bad_payloads_total`, help: "Messages set aside in the dead-letter store", labelNames: ["reason"], registers: r });
    this.duplicates = new Counter({ name: `${p}duplicates_total`, help: "Messages already seen (device, boot, seq)", registers: r });
    this.gaps = new Counter({ name: `${p}seq_gaps_total`, help: "Jumps in a device's seq", registers: r });
    this.missingSeqs = new Counter({ name: `${p}seq_missing_total`, help: "Seqs skipped by gaps", registers: r });
    this.lateMessages = new Counter({ name: `${p}late_messages_total`, help: "Messages filling an earlier gap", registers: r });
    this.reboots = new Counter({ name: `${p}reboots_total`, help: "New boot ids seen", registers: r });
    this.rulesLate = new Gauge({ name: `${p}rules_late_readings_total`, help: "Readings the rules skipped because a newer reading of their device and sensor came first (since start)", registers: r });
    this.timeQuarantined = new Counter({ name: `${p}rules_time_quarantined_readings_total`, help: "Readings stamped outside rules.maxFutureMs / rules.maxPastMs of the wall clock: stored, kept from the rules", registers: r });
    this.orderHeld = new Gauge({ name: `${p}rules_held_messages`, help: "Messages held back from the rules until a gap in their device's seqs fills", registers: r });
    this.orderGaveUp = new Counter({ name: `${p}rules_gap_seqs_given_up_total`, help: "Seqs the rules went on without after waiting rules.reorderMs", registers: r });
    this.orderLate = new Counter({ name: `${p}rules_late_boot_messages_total`, help: "Messages of an earlier boot arriving after the device's newer boot (evaluated late, by their times)", registers: r });
    this.pointsWritten = new Counter({ name: `${p}sink_points_written_total`, help: "Points durably written", registers: r });
    this.sinkErrors = new Counter({ name: `${p}sink_errors_total`, help: "Failed sink writes", labelNames: ["retryable"], registers: r });
    this.pointsRejected = new Counter({ name: `${p}sink_points_rejected_total`, help: "Points the sink refused (kept in rejected.lp)", registers: r });
    this.writeSeconds = new Histogram({ name: `${p}sink_write_seconds`, help: "Sink write latency", buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5], registers: r });
    this.buffered = new Gauge({ name: `${p}sink_buffered_points`, help: "Points waiting for the sink", registers: r });
    this.inflight = new Gauge({ name: `${p}mqtt_unacked_messages`, help: "Messages received, not yet acknowledged", registers: r });
    this.paused = new Gauge({ name: `${p}ingest_paused`, help: "1 while reading from the broker is paused (backpressure)", registers: r });
    this.alertTransitions = new Counter({ name: `${p}alert_transitions_total`, help: "Alert transitions", labelNames: ["state"], registers: r });
    this.alertFlaps = new Counter({ name: `${p}alert_flaps_suppressed_total`, help: "Clears cancelled by a new fire within the hold", registers: r });
    this.alertOutputErrors = new Counter({ name: `${p}alert_output_errors_total`, help: "Failed alert publishes or stores", registers: r });
    this.activeAlerts = new Gauge({ name: `${p}active_alerts`, help: "Active alerts", registers: r });
    this.detectorSeries = new Gauge({ name: `${p}detector_series`, help: "Series with a detector", registers: r });
    this.mqttConnected = new Gauge({ name: `${p}mqtt_connected`, help: "1 while connected to the broker", registers: r });
    this.sinkHealthy = new Gauge({ name: `${p}sink_healthy`, help: "0 while sink writes are failing", registers: r });
  }
}
