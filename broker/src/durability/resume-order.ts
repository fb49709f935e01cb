/**
 * A returning persistent session gets its queue first, then what arrived meanwhile, and
 * nothing before CONNACK.
 *
 * Aedes 1.2.0 (lib/handlers/connect.js) restores a clean-session-off client's subscriptions
 * (`restoreSubs`) before it writes CONNACK and streams the stored queue (`emptyQueue`) after
 * it. A message published in between is delivered live at once (lib/client.js `deliverQoS`
 * writes while `client.connecting`): before CONNACK (against MQTT-3.2.0-1; mqtt.js then never
 * reports the connection) and ahead of older queued messages (per-topic order, MQTT-4.6.0-6,
 * broken). The same message is also in the queue (Aedes queues a QoS 1/2 message for every
 * persistent subscription before it emits it), so emptyQueue may send it a second time.
 *
 * At the edge, no fork: each connection's `deliverQoS`/`deliver0` (the functions a restored
 * subscription calls) hold live deliveries until the client's `connected` event, which Aedes
 * emits once emptyQueue has finished; the emitter is released at once, as the message is
 * already in the persistent queue. The persistence's `outgoingUpdate`, which emptyQueue calls
 * for every packet it sends, notes those packets; on release the held deliveries that
 * emptyQueue already sent are dropped and the rest go out in arrival order, before any later
 * live message. A late live copy of a packet emptyQueue sent is dropped the same way for a
 * while after.
 */
import type { Client } from "aedes";

type Deliver = (packet: Packet, cb: () => void) => void;
interface Packet {
  brokerId?: string;
  brokerCounter?: number | string;
}
interface Resume {
  held: [Deliver, Packet][] | undefined;
  /** brokerId/brokerCounter of the packets emptyQueue sent. */
  sent: Set<string>;
}
type WithDeliver = Client & { deliverQoS: Deliver; deliver0: Deliver };
type Update = (client: unknown, packet: Packet, ...rest: unknown[]) => unknown;

const key = (p: Packet) => `${p.brokerId}\u0000${p.brokerCounter}`;
const noop = () => undefined;

export class ResumeOrder {
  private readonly resumes = new WeakMap<object, Resume>();

  /** @param forgetAfterMs how long after release a late live copy of a sent packet is still dropped */
  constructor(private readonly forgetAfterMs = 10_000) {}

  /** Notes what emptyQueue sends, through the persistence's outgoingUpdate. */
  watch(persistence: { outgoingUpdate: Update }): void {
    const update = persistence.outgoingUpdate.bind(persistence);
    persistence.outgoingUpdate = (client, packet, ...rest) => {
      const r = this.resumes.get(client as object);
      if (r?.held && packet.brokerId !== undefined) r.sent.add(key(packet));
      return update(client, packet, ...rest);
    };
  }

  /** Holds a new connection's live deliveries until its session is resumed. */
  hold(client: Client): void {
    const c = client as WithDeliver;
    const r: Resume = { held: [], sent: new Set() };
    this.resumes.set(c, r);
    const deliver = (original: Deliver): Deliver => {
      return (packet, cb) => {
        if (r.held) {
          r.held.push([original, packet]);
          setImmediate(cb);
        } else if (r.sent.size > 0 && r.sent.delete(key(packet))) setImmediate(cb);
        else original(packet, cb);
      };
    };
    c.deliverQoS = deliver(c.deliverQoS);
    c.deliver0 = deliver(c.deliver0);
    c.once("connected", () => {
      const held = r.held ?? [];
      r.held = undefined;
      for (const [original, packet] of held) {
        if (!r.sent.delete(key(packet))) original(packet, noop);
      }
      if (r.sent.size > 0) setTimeout(() => r.sent.clear(), this.forgetAfterMs).unref();
    });
    c.conn.once("close", () => {
      r.held = undefined;
      r.sent.clear();
    });
  }
}
