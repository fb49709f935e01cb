/**
 * An MQTT subscriber that decodes everything under fl/v1/# with the contracts. It also plays
 * the cloud's part in end-to-end delivery: every telemetry message it receives is confirmed
 * on the device's `stored` topic (turn it off with `confirm = false`; `skipConfirm` leaves
 * the next n messages unconfirmed, as if they were lost after the broker's PUBACK).
 */
import { connect, type MqttClient } from "mqtt";
import { until as untilSupport } from "@fieldline/test-support";
import { ALL_TOPICS_FILTER, decodePayload, encodePayload, parseTopic, topics, type PayloadOf, type TopicKind } from "@fieldline/firmware-contracts";

export interface Seen {
  kind: TopicKind;
  topic: string;
  retain: boolean;
  value: Record<string, unknown>;
}

export class Observer {
  readonly seen: Seen[] = [];
  confirm = true;
  skipConfirm = 0;
  private client: MqttClient | undefined;

  constructor(private readonly url: () => string) {}

  async start(): Promise<void> {
    // A persistent session: what is published while the observer is cut off is queued for it.
    const client = connect(this.url(), { reconnectPeriod: 100, clean: false, clientId: `obs-${Math.random().toString(16).slice(2)}` });
    this.client = client;
    client.on("message", (topic, payload, packet) => {
      const t = parseTopic(topic);
      if (!t || payload.length === 0) return;
      const r = decodePayload(t.kind, payload);
      if (!r.ok) throw r.error;
      this.seen.push({ kind: t.kind, topic, retain: packet.retain, value: r.value as Record<string, unknown> });
      if (t.kind === "telemetry" && this.confirm) {
        if (this.skipConfirm > 0) {
          this.skipConfirm--;
          return;
        }
        const m = r.value as PayloadOf<"telemetry">;
        const stored = encodePayload("stored", { v: 1, device: m.device, boot: m.boot, t: Date.now(), seqs: [[m.seq, m.seq]] });
        client.publish(topics.stored({ site: t.site, device: t.device }), Buffer.from(stored), { qos: 1 });
      }
    });
    client.on("connect", () => client.subscribe(ALL_TOPICS_FILTER, { qos: 1 }));
    await new Promise<void>((resolve) => client.once("connect", () => resolve()));
    await new Promise<void>((resolve) => client.once("packetreceive", () => resolve()));
  }

  of(kind: TopicKind): Record<string, unknown>[] {
    return this.seen.filter((s) => s.kind === kind).map((s) => s.value);
  }

  async publish<K extends TopicKind>(kind: K, addr: { site: string; device: string }, value: PayloadOf<K>, retain = false): Promise<void> {
    const topic = (topics as unknown as Record<string, (a: typeof addr) => string>)[kind]!(addr);
    await this.client!.publishAsync(topic, Buffer.from(encodePayload(kind, value)), { qos: 1, retain });
  }

  /** Clears a retained message (empty payload, MQTT-3.3.1-10). */
  async clearRetained(kind: TopicKind, addr: { site: string; device: string }): Promise<void> {
    const topic = (topics as unknown as Record<string, (a: typeof addr) => string>)[kind]!(addr);
    await this.client!.publishAsync(topic, Buffer.alloc(0), { qos: 1, retain: true });
  }

  async stop(): Promise<void> {
    await this.client?.endAsync(true);
  }
}

/** Polls `check` every 20 ms until it returns true or `ms` passes. */
export function until(check: () => boolean | Promise<boolean>, ms = 10_000, what = "condition"): Promise<void> {
  return untilSupport(check, ms, what, 20);
}
