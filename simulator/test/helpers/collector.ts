/** An MQTT subscriber that decodes every telemetry message it receives. */
import mqtt, { type MqttClient } from "mqtt";
import { decodePayload, parseTopic, topicFilter, type Telemetry } from "@fieldline/firmware-contracts";

export class TelemetryCollector {
  readonly messages: Telemetry[] = [];
  readonly sites = new Map<string, string>();
  bad = 0;
  private client: MqttClient | undefined;

  async start(url: string): Promise<this> {
    // A persistent session, so messages published while it is away (a broker outage) are queued for it.
    const client = await mqtt.connectAsync(url, { clientId: "collector", clean: false, reconnectPeriod: 100 });
    this.client = client;
    client.on("message", (topic, payload) => {
      const addr = parseTopic(topic);
      const decoded = decodePayload("telemetry", payload);
      if (!addr || !decoded.ok) {
        this.bad++;
        return;
      }
      this.sites.set(decoded.value.device, addr.site);
      this.messages.push(decoded.value);
    });
    await client.subscribeAsync(topicFilter("telemetry"), { qos: 1 });
    return this;
  }

  readingCount(): number {
    return this.messages.reduce((n, m) => n + m.readings.length, 0);
  }

  async stop(): Promise<void> {
    await this.client?.endAsync();
  }
}
