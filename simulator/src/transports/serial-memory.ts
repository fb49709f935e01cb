/**
 * The serial transport's fake: the exact bytes each device would write to its UART, kept
 * in memory per device (no socat, no ports). For determinism checks and dry runs.
 */
import { MAX_FRAME_READINGS } from "@fieldline/firmware-contracts";
import type { SimDevice } from "../run/fleet";
import { McuFramer } from "./mcu";
import { emptyStats, type BootInfo, type Corruption, type OutboundBatch, type Transport } from "./transport";

export class MemorySerialTransport implements Transport {
  readonly name = "serial-memory";
  readonly corruptions = new Set<Corruption["type"]>(["garbage", "crcError"]);
  readonly maxReadings = MAX_FRAME_READINGS;
  /** Device id -> chunks written, in order. */
  readonly lines = new Map<string, Uint8Array[]>();
  private readonly mcus = new Map<string, McuFramer>();
  private readonly s = emptyStats();

  async start(devices: readonly SimDevice[]): Promise<void> {
    for (const d of devices) {
      this.mcus.set(d.id, new McuFramer(d));
      this.lines.set(d.id, []);
    }
    this.s.connected = devices.length;
  }

  private write(device: SimDevice, bytes: Uint8Array, readings = 0): void {
    this.lines.get(device.id)!.push(bytes);
    this.s.messagesSent++;
    this.s.messagesAcked++;
    this.s.readingsSent += readings;
    this.s.readingsAcked += readings;
    this.s.bytes += bytes.length;
  }

  async boot(device: SimDevice, info: BootInfo): Promise<void> {
    for (const f of this.mcus.get(device.id)!.boot(info.t)) this.write(device, f);
  }

  async send(b: OutboundBatch): Promise<void> {
    this.write(b.device, this.mcus.get(b.device.id)!.readings(b), b.readings.length);
  }

  async setOnline(_device: SimDevice, online: boolean): Promise<void> {
    this.s.connected += online ? 1 : -1;
  }

  async corrupt(device: SimDevice, c: Corruption): Promise<void> {
    const mcu = this.mcus.get(device.id)!;
    if (c.type === "garbage") this.write(device, mcu.garbage(c.bytes));
    else for (let i = 0; i < c.count; i++) this.write(device, mcu.badCrc(c.batch));
  }

  async drain(): Promise<void> {}

  stats() {
    return { ...this.s };
  }

  async stop(): Promise<void> {
    this.s.connected = 0;
  }

  /** Everything one device wrote, as one buffer. */
  bytesOf(device: string): Buffer {
    return Buffer.concat(this.lines.get(device) ?? []);
  }
}
