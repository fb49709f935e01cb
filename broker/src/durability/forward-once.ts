/**
 * A message is dropped as a duplicate only when it is one, and dropping it never removes
 * another message from the subscriber's queue.
 *
 * Aedes 1.2.0 (lib/client.js `dedupe`) keeps, per connection and broker id, the highest
 * `brokerCounter` it delivered and drops any later delivery with a counter not above it.
 * That assumes messages reach each subscriber in counter order, but the counter is taken when
 * `publish` starts and the message is emitted when it has been stored: a retained message
 * waits for one more fsync (storeRetained, then the enqueue) than a plain message published
 * right after it, so the later message overtakes it and the retained one is taken for a
 * duplicate. For a persistent session, `deliverQoS` then calls
 * `outgoingClearMessageId(client, packet)` with the live packet, which has no messageId yet;
 * aedes-persistence's memory queue (which the disk persistence uses) removes the first queued
 * packet whose messageId equals it, i.e. the first one not yet given a packet id: the
 * message itself (acknowledged to its publisher, never delivered), or, when a resumed queue's
 * held live messages are released, another message waiting for its id, whose outgoingUpdate
 * then fails ('no such packet'), so it is not sent and the connection is closed with an
 * error; it is gone from the queue for good. (Redis keys packet ids separately: the clear
 * finds nothing and the message waits in the queue for the next reconnect.)
 *
 * At the edge, no fork:
 * - `forwardOnce(client)`: Aedes' counter filter is disabled (the connection's `duplicates`
 *   map reads 0 for every broker) and each connection's `deliverQoS`/`deliver0` drop only an
 *   exact repeat of a (brokerId, brokerCounter) delivered recently on that connection (a
 *   message matching two of its subscriptions), without touching the persistence.
 * - `clearOnlyById(persistence)`: `outgoingClearMessageId` without a messageId is a no-op, so
 *   nothing else can remove an arbitrary undelivered message; a packet Aedes decides not to
 *   forward stays queued and is offered again (and filtered again) when the session resumes.
 */
import type { Client } from "aedes";

interface Packet {
  brokerId?: string | null;
  brokerCounter?: number | string;
  qos?: number;
  messageId?: number | null;
}
type Deliver = (packet: Packet, cb: () => void) => void;
type WithDeliver = Client & {
  deliverQoS: Deliver;
  deliver0: Deliver;
  duplicates: Record<string, number>;
};
type Clear = (client: unknown, packet: Packet, ...rest: unknown[]) => Promise<unknown>;

/** Deliveries remembered per connection to recognise a repeat (copies of one message arrive together). */
export const FORWARD_ONCE_WINDOW = 4096;

const key = (p: Packet) => `${p.brokerId}\u0000${p.brokerCounter}`;

export function forwardOnce(client: Client, window = FORWARD_ONCE_WINDOW): void {
  const c = client as WithDeliver;
  // Aedes' dedupe: `(duplicates[id] || 0) < counter` is then true for every message.
  c.duplicates = new Proxy(Object.create(null) as Record<string, number>, {
    get: () => 0,
    set: () => true,
    deleteProperty: () => true,
  });
  const seen = new Set<string>();
  const once = (original: Deliver, qos0: boolean): Deliver => {
    return (packet, cb) => {
      // Aedes' deliverQoS hands a QoS 0 message to deliver0, which checks it there.
      // A retained message sent on SUBSCRIBE has brokerId null and is never a repeat.
      if (packet.brokerId && (qos0 || packet.qos !== 0)) {
        const k = key(packet);
        if (seen.has(k)) {
          setImmediate(cb);
          return;
        }
        seen.add(k);
        if (seen.size > window) seen.delete(seen.values().next().value as string);
      }
      original(packet, cb);
    };
  };
  c.deliverQoS = once(c.deliverQoS, false);
  c.deliver0 = once(c.deliver0, true);
}

export function clearOnlyById(persistence: { outgoingClearMessageId: Clear }): void {
  const clear = persistence.outgoingClearMessageId.bind(persistence);
  persistence.outgoingClearMessageId = (client, packet, ...rest) => {
    if (packet.messageId === undefined || packet.messageId === null)
      return Promise.resolve(undefined);
    return clear(client, packet, ...rest);
  };
}
