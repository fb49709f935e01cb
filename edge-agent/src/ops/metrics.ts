/** Prometheus metrics of one agent, in its own registry (no global default registry). */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { OutboxStats, StorageState } from "../outbox";

export class AgentMetrics {
  readonly registry = new Registry();
  readonly readingsIn = new Counter({ name: "fieldline_edge_readings_in_total", help: "Readings received from inputs", registers: [this.registry] });
  readonly rejected = new Counter({
    name: "fieldline_edge_frames_rejected_total",
    help: "Bad frames, sentences, responses or readings, counted and skipped",
    labelNames: ["reason"],
    registers: [this.registry],
  });
  readonly publishLatency = new Histogram({
    name: "fieldline_edge_publish_latency_seconds",
    help: "Time from publish to PUBACK",
    labelNames: ["kind"],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly shutoffs = new Counter({
    name: "fieldline_edge_shutoffs_total",
    help: "Output lines driven by a firing rule",
    labelNames: ["line", "rule"],
    registers: [this.registry],
  });
  readonly transitions = new Counter({
    name: "fieldline_edge_rule_transitions_total",
    help: "Rule transitions",
    labelNames: ["kind"],
    registers: [this.registry],
  });
  readonly commands = new Counter({
    name: "fieldline_edge_commands_total",
    help: "Commands from the cloud, by name and outcome",
    labelNames: ["name", "ok"],
    registers: [this.registry],
  });
  readonly badMessages = new Counter({
    name: "fieldline_edge_bad_messages_total",
    help: "Messages from the cloud that did not decode",
    labelNames: ["reason"],
    registers: [this.registry],
  });
  readonly connected = new Gauge({ name: "fieldline_edge_mqtt_connected", help: "1 while the MQTT session is up", registers: [this.registry] });
  readonly latched = new Gauge({ name: "fieldline_edge_latched_lines", help: "Output lines held by a latch", registers: [this.registry] });
  readonly timestampsReplaced = new Counter({
    name: "fieldline_edge_timestamps_replaced_total",
    help: "Readings stamped more than a day from the host clock, given the host's time",
    registers: [this.registry],
  });
  readonly timestampsMoved = new Counter({
    name: "fieldline_edge_timestamps_moved_total",
    help: "Readings moved 1 ms past the previous one of their sensor so that no two share a stored time",
    registers: [this.registry],
  });
  readonly resent = new Counter({
    name: "fieldline_edge_telemetry_resent_total",
    help: "Telemetry messages republished because the cloud confirmed nothing stored in time",
    registers: [this.registry],
  });
  readonly configVersion = new Gauge({ name: "fieldline_edge_config_version", help: "Version of the applied desired config (cloud rules; -1: none)", registers: [this.registry] });
  readonly connectFailures = new Counter({
    name: "fieldline_edge_mqtt_connect_failures_total",
    help: "MQTT connection attempts that failed, by CONNACK return code (none: network or TLS error)",
    labelNames: ["code"],
    registers: [this.registry],
  });
  readonly storageErrors = new Counter({
    name: "fieldline_edge_storage_errors_total",
    help: "Failed disk operations (outbox, latches, desired config), by operation and errno code",
    labelNames: ["op", "code"],
    registers: [this.registry],
  });
  readonly clockSteps = new Counter({ name: "fieldline_edge_clock_steps_total", help: "Wall-clock steps absorbed by rule time", registers: [this.registry] });

  /** Outbox gauges read its stats at scrape time. */
  constructor(outboxStats: () => OutboxStats, failedMessages: () => number = () => 0, storage: () => StorageState | undefined = () => undefined) {
    new Gauge({
      name: "fieldline_edge_storage_degraded",
      help: "1 while the outbox cannot write to disk (messages kept in memory)",
      registers: [this.registry],
      collect() {
        this.set(storage()?.state === "degraded" ? 1 : 0);
      },
    });
    new Gauge({
      name: "fieldline_edge_outbox_memory_messages",
      help: "Messages held in memory because the disk could not take them",
      registers: [this.registry],
      collect() {
        this.set(storage()?.memory.records ?? 0);
      },
    });
    new Gauge({
      name: "fieldline_edge_messages_failed",
      help: "Messages not stored: refused by a full outbox or not matching their schema (since start)",
      registers: [this.registry],
      collect() {
        this.set(failedMessages());
      },
    });
    const g = (name: string, help: string, pick: (s: OutboxStats) => number) =>
      new Gauge({
        name,
        help,
        registers: [this.registry],
        collect() {
          this.set(pick(outboxStats()));
        },
      });
    g("fieldline_edge_outbox_depth", "Messages in the outbox not yet acknowledged", (s) => s.depth);
    g("fieldline_edge_outbox_bytes", "Bytes on disk held by the outbox", (s) => s.bytes);
    g("fieldline_edge_outbox_dropped", "Messages dropped because the outbox was full (since start)", (s) => s.dropped);
    g("fieldline_edge_outbox_refused", "Messages refused because the outbox was full (since start)", (s) => s.refused);
    g("fieldline_edge_outbox_torn_bytes", "Torn or corrupt bytes skipped when the outbox was opened", (s) => s.tornBytes);
    this.configVersion.set(-1);
    // Process metrics (RSS, CPU, event loop lag, GC) under the same prefix.
    collectDefaultMetrics({ register: this.registry, prefix: "fieldline_edge_" });
  }
}
