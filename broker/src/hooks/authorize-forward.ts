/**
 * authorizeForward: bounded output toward slow subscribers. When a subscriber's socket
 * already holds more than the configured bytes, further QoS 0 deliveries to it are dropped
 * (QoS 1/2 past a larger bound) and counted; a subscriber that stops reading altogether is
 * cut off by Aedes' drainTimeout. Runs once per delivery, so it only reads one number.
 */
import type { AedesPublishPacket, Client } from "aedes";
import type { HookContext } from "./context.ts";

export function makeAuthorizeForward(ctx: HookContext) {
  const { subscriberBufferBytes, subscriberBufferBytesQos } = ctx.limits;
  const drops0 = ctx.metrics.slowSubscriberDrops.labels({ qos: "0" });
  const drops1 = ctx.metrics.slowSubscriberDrops.labels({ qos: "1+" });
  return function authorizeForward(client: Client, packet: AedesPublishPacket): AedesPublishPacket | null {
    const buffered = (client.conn as { writableLength?: number }).writableLength ?? 0;
    if (packet.qos === 0) {
      if (buffered > subscriberBufferBytes) {
        drops0.inc();
        return null;
      }
    } else if (buffered > subscriberBufferBytesQos) {
      drops1.inc();
      return null;
    }
    return packet;
  };
}
