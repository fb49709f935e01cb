/**
 * Prometheus metrics on a per-instance registry (no global default registry).
 * Per-message counts are plain numbers (`hot`) folded into their counters at scrape time,
 * so the publish path costs an addition, not a prom-client label lookup.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from "prom-client";

/** Per-message tallies; BrokerMetrics folds them into the counters when scraped. */
export class HotCounts {
  publishes = 0;
  paced = 0;
  drops0 = 0;
}

export class BrokerMetrics {
  readonly registry = new Registry();
  readonly hot = new HotCounts();
  readonly connections = new Gauge({ name: "fl_broker_connections", help: "Connected MQTT clients", registers: [this.registry] });
  readonly connects = new Counter({
    name: "fl_broker_connects_total",
    help: "CONNECT outcomes",
    labelNames: ["result"] as const,
    registers: [this.registry],
  });
  readonly publishes = new Counter({
    name: "fl_broker_publishes_total",
    help: "Publishes accepted from clients",
    registers: [this.registry],
    collect: () => this.fold(),
  });
  readonly publishDenied = new Counter({
    name: "fl_broker_publish_denied_total",
    help: "Publishes acknowledged and dropped (MQTT-3.3.5-2), by reason",
    labelNames: ["reason"] as const,
    registers: [this.registry],
  });
  readonly subscribeDenied = new Counter({
    name: "fl_broker_subscribe_denied_total",
    help: "Subscriptions refused with SUBACK 0x80",
    registers: [this.registry],
  });
  readonly publishPaced = new Counter({
    name: "fl_broker_publish_paced_total",
    help: "Publishes delayed by the per-client rate limit",
    registers: [this.registry],
    collect: () => this.fold(),
  });
  readonly slowSubscriberDrops = new Counter({
    name: "fl_broker_slow_subscriber_drops_total",
    help: "QoS 0 deliveries dropped because the subscriber's output buffer was over its bound",
    labelNames: ["qos"] as const,
    registers: [this.registry],
    collect: () => this.fold(),
  });
  readonly oversizePackets = new Counter({
    name: "fl_broker_oversize_packets_total",
    help: "Connections closed for announcing a packet above maxPacketBytes",
    registers: [this.registry],
  });
  readonly clientErrors = new Counter({
    name: "fl_broker_client_errors_total",
    help: "Client connections closed on error",
    registers: [this.registry],
  });

  constructor(opts: { processMetrics?: boolean } = {}) {
    if (opts.processMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: "fl_broker_" });
  }

  /** Moves the per-message tallies into their counters (called by each counter's collect). */
  fold(): void {
    const h = this.hot;
    if (h.publishes) this.publishes.inc(h.publishes);
    if (h.paced) this.publishPaced.inc(h.paced);
    if (h.drops0) this.slowSubscriberDrops.inc({ qos: "0" }, h.drops0);
    h.publishes = h.paced = h.drops0 = 0;
  }
}
