/**
 * authorizeForward: bounded output toward slow subscribers. When a subscriber's socket
 * already holds more than the configured bytes, further QoS 0 deliveries to it are dropped
 * (QoS 1/2 past a larger bound) and counted, so nobody waits for it (see
 * limits/write-buffer.ts). A subscriber that stays over its bound for drainTimeoutMs is
 * disconnected. Runs once per delivery, so it reads one number in the common case.
 */
import type { AedesPublishPacket, Client } from "aedes";
import type { HookContext } from "./context.ts";

export function makeAuthorizeForward(ctx: HookContext) {
  const { subscriberBufferBytes, subscriberBufferBytesQos, drainTimeoutMs } = ctx.limits;
  const hot = ctx.metrics.hot;
  const behindSince = new WeakMap<Client, number>();

  function drop(client: Client): null {
    const now = Date.now();
    const since = behindSince.get(client);
    if (since === undefined) behindSince.set(client, now);
    else if (drainTimeoutMs > 0 && now - since > drainTimeoutMs) {
      ctx.log.info({ client: client.id }, "subscriber behind for too long; disconnecting");
      client.close();
    }
    return null;
  }

  return function authorizeForward(client: Client, packet: AedesPublishPacket): AedesPublishPacket | null {
    const buffered = (client.conn as { writableLength?: number }).writableLength ?? 0;
    if (buffered > subscriberBufferBytes) {
      if (packet.qos === 0) {
        hot.drops0++;
        return drop(client);
      }
      if (buffered > subscriberBufferBytesQos) {
        hot.drops1++;
        return drop(client);
      }
    } else if (buffered === 0) behindSince.delete(client);
    return packet;
  };
}
