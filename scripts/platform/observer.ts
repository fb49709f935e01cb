/**
 * An MQTT client with a service account that watches what operators would: device events
 * (rule transitions from the edge) and the processor's alerts. It keeps a persistent session
 * so events published while it is away (a broker restart) reach it afterwards.
 */
import mqtt, { type MqttClient } from "mqtt";
import { decodePayload, topicFilter, type Alert, type DeviceEvent } from "@fieldline/firmware-contracts";

export class Observer {
  readonly events: DeviceEvent[] = [];
  readonly alerts: Alert[] = [];
  private client: MqttClient | undefined;

  constructor(
    private readonly url: string,
    private readonly username: string,
    private readonly password: string,
  ) {}

  async start(): Promise<void> {
    const client = await mqtt.connectAsync(this.url, {
      clientId: "platform-observer",
      username: this.username,
      password: this.password,
      clean: false,
      reconnectPeriod: 200,
    });
    this.client = client;
    client.on("message", (topic, payload) => {
      if (topic.endsWith("/events")) {
        const d = decodePayload("events", payload);
        if (d.ok) this.events.push(d.value);
      } else if (payload.length > 0) {
        const d = decodePayload("alerts", payload);
        if (d.ok) this.alerts.push(d.value);
      }
    });
    await client.subscribeAsync([topicFilter("events"), topicFilter("alerts")], { qos: 1 });
  }

  /** The edge's rule-fired events (local safety), first per (device, rule). */
  ruleFired(): DeviceEvent[] {
    const seen = new Set<string>();
    return this.events.filter((e) => {
      if (e.type !== "rule-fired") return false;
      const k = `${e.device}/${e.rule}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
  }

  async stop(): Promise<void> {
    await this.client?.endAsync();
    this.client = undefined;
  }
}
