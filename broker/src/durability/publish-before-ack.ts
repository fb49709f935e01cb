/**
 * PUBACK only after the message is stored.
 *
 * Aedes 1.2.0 (lib/handlers/publish.js, `enqueuePublish`) answers a QoS 1 PUBLISH by writing
 * PUBACK first and calling `broker.publish` after; `publish` is where the message is queued
 * for every persistent session that matches (`enqueueOffline` -> `outgoingEnqueueCombi`) and
 * stored if retained. A broker that dies between the two has acknowledged a message it never
 * kept. (QoS 2 is already in the right order: PUBREC follows `publish`.)
 *
 * At the edge, no fork: the authorizePublish hook, which Aedes calls right before that write,
 * runs `publish` itself for an authorized QoS 1 PUBLISH from a client and calls back only once
 * it has completed, i.e. once the persistence has the message (the disk persistence resolves
 * after its fsync). Aedes then writes PUBACK and calls `publish` with the same packet object,
 * which the wrapped `publish` recognises and skips. Wills (no packet id) and Aedes' own
 * messages take the normal path.
 */
import type { Aedes, Client, PublishPacket } from "aedes";

type Done = (err?: Error | null) => void;
type Publish = (packet: PublishPacket, client: Client | null, done: Done) => void;

export function publishBeforeAck(aedes: Aedes): void {
  const published = new WeakSet<object>();
  const authorize = aedes.authorizePublish;
  const publish = aedes.publish.bind(aedes) as unknown as Publish;

  aedes.authorizePublish = function (client: Client | null, packet: PublishPacket, done: Done) {
    authorize.call(aedes, client, packet, (err?: Error | null) => {
      if (err || !client || packet.qos !== 1 || packet.cmd !== "publish" || packet.messageId === undefined) return done(err);
      publish(packet, client, (perr) => {
        if (perr) return done(perr);
        published.add(packet);
        done(null);
      });
    });
  } as Aedes["authorizePublish"];

  aedes.publish = function (packet: PublishPacket, client: Client | Done | null, done?: Done) {
    if (typeof client === "function") return publish(packet, null, client);
    if (published.delete(packet)) return done?.(null);
    return publish(packet, client, done ?? (() => undefined));
  } as Aedes["publish"];
}
