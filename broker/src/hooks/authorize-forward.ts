/**
 * authorizeForward: bounded output toward slow subscribers.
 *
 * QoS 0: when a subscriber's socket already holds more than subscriberBufferBytes, further
 * QoS 0 deliveries to it are dropped and counted, so nobody waits for it (see
 * limits/write-buffer.ts); a subscriber that stays behind for drainTimeoutMs is disconnected.
 * QoS 1/2 are never dropped here: past subscriberBufferBytesQos (the socket's write mark) a
 * write returns false, Aedes waits for 'drain', and the publishers are paced over TCP, so
 * a device's outbox keeps what the processor cannot take yet.
 * Runs once per delivery, so it reads one number in the common case.
 */
import type { AedesPublishPacket, Client } from "aedes";
import type { HookContext } from "./context.ts";

export function makeAuthorizeForward(ctx: HookContext) {
  const { subscriberBufferBytes, drainTimeoutMs } = ctx.limits;
  const hot = ctx.metrics.hot;
  const behindSince = new WeakMap<Client, number>();

  return function authorizeForward(client: Client, packet: AedesPublishPacket): AedesPublishPacket | null {
    if (packet.qos !== 0) return packet;
    const buffered = (client.conn as { writableLength?: number }).writableLength ?? 0;
    if (buffered <= subscriberBufferBytes) {
      if (buffered === 0) behindSince.delete(client);
      return packet;
    }
    hot.drops0++;
    const now = Date.now();
    const since = behindSince.get(client);
    if (since === undefined) behindSince.set(client, now);
    else if (drainTimeoutMs > 0 && now - since > drainTimeoutMs) {
      ctx.log.info({ client: client.id }, "subscriber behind for too long; disconnecting");
      client.close();
    }
    return null;
  };
}
