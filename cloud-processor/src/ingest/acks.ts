/**
 * Delayed, ordered PUBACKs for an mqtt.js client on MQTT 3.1.1.
 *
 * What mqtt.js offers (checked in node_modules/mqtt/build/lib/handlers/publish.js, 5.16):
 * - `customHandleAcks` is honoured only with protocolVersion 5 (client.js replaces it with an
 *   immediate ack otherwise), and Aedes 1.2 speaks 3.1.1; it also runs before 'message'.
 * - For QoS 1 the client calls `handleMessage(packet, cb)` and sends the PUBACK when `cb()`
 *   is called without an error; with an error it sends none. The packet pump waits for `cb`,
 *   so holding `cb` until the sink writes would process one message per database round trip.
 *
 * So `handleMessage` hands each message to the pipeline and calls `cb(SKIP_ACK)` at once (no
 * PUBACK), letting the next messages flow and batch together; when a message's work is
 * durable its PUBACK is sent here, in the order the PUBLISHes arrived (MQTT-4.6.0-2). While
 * the sink's buffer is full `cb` is held: the pump stops reading and TCP pushes back on the
 * broker. An ack whose connection has gone is never sent on a newer one (message ids are per
 * connection); the broker redelivers that message and dedupe acknowledges it.
 */
import type { IPublishPacket, MqttClient } from "mqtt";

export const SKIP_ACK = new Error("acknowledged later, once durable");

interface Pending {
  messageId: number;
  generation: number;
  state: "pending" | "done" | "abandoned";
}

type SendPacket = (packet: { cmd: "puback"; messageId: number }, cb?: (err?: Error) => void) => void;

export class AckQueue {
  private readonly queue: Pending[] = [];
  private head = 0;
  generation = 0;

  constructor(private readonly client: MqttClient) {}

  get pending(): number {
    return this.queue.length - this.head;
  }

  /** Registers a received QoS 1 message; settle it with the returned function. */
  track(packet: IPublishPacket): (ok: boolean) => void {
    const entry: Pending = { messageId: packet.messageId ?? 0, generation: this.generation, state: "pending" };
    this.queue.push(entry);
    return (ok) => {
      entry.state = ok ? "done" : "abandoned";
      this.drain();
    };
  }

  /** Call on every new CONNACK: acks for older connections will be dropped. */
  newConnection(): void {
    this.generation++;
  }

  private drain(): void {
    const send = (this.client as unknown as { _sendPacket: SendPacket })._sendPacket.bind(this.client);
    while (this.head < this.queue.length) {
      const e = this.queue[this.head]!;
      if (e.state === "pending") break;
      this.head++;
      if (e.state === "done" && e.generation === this.generation && this.client.connected) {
        send({ cmd: "puback", messageId: e.messageId });
      }
    }
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
  }
}
