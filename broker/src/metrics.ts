/** Prometheus metrics on a per-instance registry (no global default registry). */
import { Counter, Gauge, Registry, collectDefaultMetrics } from "prom-client";

export class BrokerMetrics {
  readonly registry = new Registry();
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
  });
  readonly slowSubscriberDrops = new Counter({
    name: "fl_broker_slow_subscriber_drops_total",
    help: "Deliveries dropped because the subscriber's output buffer was over its bound",
    labelNames: ["qos"] as const,
    registers: [this.registry],
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
}
