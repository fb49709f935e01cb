/**
 * A transport that keeps every message in memory as the bytes MQTT would carry: the fake
 * beside the real ones, for dry runs (`type: none`) and determinism checks.
 */
import { encodePayload, topics } from "@fieldline/firmware-contracts";
import type { SimDevice } from "../run/fleet";
import { emptyStats, type BootInfo, type Corruption, type OutboundBatch, type Transport } from "./transport";

export interface MemoryMessage {
  topic: string;
  payload: Uint8Array;
}

export class MemoryTransport implements Transport {
  readonly name = "memory";
  readonly corruptions = new Set<Corruption["type"]>(["garbage"]);
  readonly messages: MemoryMessage[] = [];
  private readonly s = emptyStats();

  constructor(private readonly opts: { keep?: boolean } = {}) {}

  async start(devices: readonly SimDevice[]): Promise<void> {
    this.s.connected = devices.length;
  }

  async boot(_device: SimDevice, _info: BootInfo): Promise<void> {}

  async send(b: OutboundBatch): Promise<void> {
    const payload = encodePayload("telemetry", { v: 1, device: b.device.id, boot: b.boot, seq: b.seq, readings: b.readings });
    if (this.opts.keep !== false) this.messages.push({ topic: topics.telemetry({ site: b.device.site, device: b.device.id }), payload });
    this.s.messagesSent++;
    this.s.messagesAcked++;
    this.s.readingsSent += b.readings.length;
    this.s.readingsAcked += b.readings.length;
    this.s.bytes += payload.length;
  }

  async setOnline(_device: SimDevice, online: boolean): Promise<void> {
    this.s.connected += online ? 1 : -1;
  }

  async corrupt(device: SimDevice, c: Corruption): Promise<void> {
    if (c.type === "garbage" && this.opts.keep !== false) this.messages.push({ topic: topics.telemetry({ site: device.site, device: device.id }), payload: c.bytes });
  }

  async drain(): Promise<void> {}

  stats() {
    return { ...this.s };
  }

  async stop(): Promise<void> {
    this.s.connected = 0;
  }
}
