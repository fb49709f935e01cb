/**
 * Firmware frames over virtual serial ports: per device, a socat pty pair; the simulator plays
 * the MCU on one end with the real serialport package, the edge agent opens the other.
 * Frames come from the contracts' encoder: hello at every boot, readings (at most 32 per
 * frame, `t` in ms since the MCU booted), an event frame on reboot. A disconnect is silence
 * on the line (the cable stays, the MCU stops talking). Garbage is written followed by a
 * 0x00, so the next genuine frame still decodes; CRC errors are readings frames whose CRC
 * has one bit flipped. With `retransmit`, readings frames are kept until the edge agent acks
 * them over the same pty and re-sent when no ack comes (serial-retransmit.ts).
 */
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { SerialPort } from "serialport";
import { MAX_FRAME_READINGS } from "@fieldline/firmware-contracts";
import type { SimDevice } from "../run/fleet";
import type { SerialTransportSpec } from "../spec/transports";
import { mapLimit, waitFor } from "./limit";
import { McuFramer } from "./mcu";
import { UnackedFrames, type RetransmitStats } from "./serial-retransmit";
import { PtyPair } from "./socat";
import { emptyStats, type BootInfo, type Corruption, type OutboundBatch, type Transport } from "./transport";

interface Line {
  device: SimDevice;
  pair: PtyPair;
  port?: SerialPort;
  mcu: McuFramer;
  unacked?: UnackedFrames;
}

export interface SerialLink {
  device: string;
  /** Path the edge agent opens. */
  path: string;
}

export class SerialTransport implements Transport {
  readonly name = "serial";
  readonly corruptions = new Set<Corruption["type"]>(["garbage", "crcError"]);
  readonly maxReadings = MAX_FRAME_READINGS;
  readonly concurrency = 16;
  private readonly lines = new Map<string, Line>();
  private readonly s = emptyStats();
  private dir = "";
  private ownDir = false;
  private ticker: NodeJS.Timeout | undefined;

  constructor(private readonly spec: SerialTransportSpec) {}

  /** Where the edge agent should open each device's port (valid after `start`). */
  links(): SerialLink[] {
    return [...this.lines.values()].map((l) => ({ device: l.device.id, path: l.pair.agentPath }));
  }

  /**
   * Waits until every agent end is held open by some process (an edge agent), at most
   * `timeoutMs`; returns the devices still without one. Call before any device boots.
   */
  async waitForReaders(timeoutMs: number): Promise<string[]> {
    const until = Date.now() + timeoutMs;
    let missing = [...this.lines.values()];
    for (;;) {
      const held = await Promise.all(missing.map((l) => l.pair.hasReader()));
      missing = missing.filter((_, i) => !held[i]);
      if (missing.length === 0 || Date.now() >= until) return missing.map((l) => l.device.id);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async start(devices: readonly SimDevice[]): Promise<void> {
    this.ownDir = this.spec.dir === undefined;
    this.dir = this.spec.dir ?? (await mkdtemp(path.join(tmpdir(), "fl-sim-serial-")));
    await mkdir(this.dir, { recursive: true });
    for (const device of devices) {
      const name = this.spec.link.replaceAll("{device}", device.id).replaceAll("{site}", device.site);
      const agentPath = path.resolve(this.dir, name);
      const r = this.spec.retransmit;
      this.lines.set(device.id, {
        device,
        pair: new PtyPair(`${agentPath}.sim`, agentPath, this.spec.socat),
        mcu: new McuFramer(device),
        ...(r ? { unacked: new UnackedFrames(r.timeout, r.buffer) } : {}),
      });
    }
    await mapLimit([...this.lines.values()], 16, async (line) => {
      await line.pair.start();
      const port = new SerialPort({ path: line.pair.simPath, baudRate: this.spec.baudRate, autoOpen: false });
      await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
      port.on("error", () => this.s.failed++);
      if (line.unacked) port.on("data", (chunk: Buffer) => line.unacked!.received(chunk));
      line.port = port;
      this.s.connected++;
    });
    const r = this.spec.retransmit;
    if (r) this.ticker = setInterval(() => this.resend(r.perTick), Math.max(1, Math.floor(r.timeout / 4)));
  }

  /** Re-sends the frames whose ack is overdue; not awaited, a pty nobody reads just holds them. */
  private resend(perTick: number): void {
    const now = Date.now();
    for (const line of this.lines.values()) {
      const port = line.port;
      if (!port || !line.unacked) continue;
      for (const bytes of line.unacked.due(now, perTick)) port.write(Buffer.from(bytes));
    }
  }

  /** Retransmit counters summed over devices (all 0 without `retransmit`). */
  retransmitStats(): RetransmitStats & { unacked: number } {
    const t = { retransmits: 0, dropped: 0, droppedReadings: 0, acked: 0, unacked: 0 };
    for (const l of this.lines.values()) {
      if (!l.unacked) continue;
      const u = l.unacked.stats;
      t.retransmits += u.retransmits;
      t.dropped += u.dropped;
      t.droppedReadings += u.droppedReadings;
      t.acked += u.acked;
      t.unacked += l.unacked.size;
    }
    return t;
  }

  private async write(line: Line, bytes: Uint8Array, readings = 0): Promise<void> {
    const port = line.port;
    if (!port) return;
    this.s.messagesSent++;
    this.s.readingsSent += readings;
    this.s.bytes += bytes.length;
    const ok = port.write(Buffer.from(bytes), (err) => {
      if (err) this.s.failed++;
      else {
        this.s.messagesAcked++;
        this.s.readingsAcked += readings;
      }
    });
    if (ok) return;
    // The pty passes bytes on only as fast as the far end reads them (like a UART with flow control).
    let timer: NodeJS.Timeout | undefined;
    const drained = await Promise.race([
      new Promise<boolean>((resolve) => port.drain(() => resolve(true))),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), this.spec.stallTimeout))),
    ]);
    clearTimeout(timer);
    if (!drained) {
      throw new Error(`nobody has read ${line.pair.agentPath} for ${this.spec.stallTimeout} ms: start an edge agent on it (run --settle gives time to)`);
    }
  }

  async boot(device: SimDevice, info: BootInfo): Promise<void> {
    const line = this.lines.get(device.id)!;
    line.unacked?.clear();
    for (const frame of line.mcu.boot(info.t)) await this.write(line, frame);
  }

  async send(b: OutboundBatch): Promise<void> {
    const line = this.lines.get(b.device.id)!;
    const bytes = line.mcu.readings(b);
    line.unacked?.sent(line.mcu.lastSeq, bytes, b.readings.length, Date.now());
    await this.write(line, bytes, b.readings.length);
  }

  async setOnline(_device: SimDevice, online: boolean): Promise<void> {
    this.s.connected += online ? 1 : -1;
  }

  async corrupt(device: SimDevice, c: Corruption): Promise<void> {
    const line = this.lines.get(device.id)!;
    if (c.type === "garbage") await this.write(line, line.mcu.garbage(c.bytes));
    else for (let i = 0; i < c.count; i++) await this.write(line, line.mcu.badCrc(c.batch));
  }

  /** Waits for the ports to pass their bytes on and, with `retransmit`, for every ack. */
  async drain(timeoutMs: number): Promise<void> {
    const until = Date.now() + timeoutMs;
    const ports = [...this.lines.values()].flatMap((l) => (l.port ? [l.port] : []));
    await Promise.race([
      Promise.all(ports.map((p) => new Promise<void>((resolve) => p.drain(() => resolve())))),
      new Promise((r) => setTimeout(r, timeoutMs).unref()),
    ]);
    if (this.spec.retransmit) await waitFor(() => this.retransmitStats().unacked === 0, Math.max(0, until - Date.now()), 20);
  }

  stats() {
    return { ...this.s };
  }

  async stop(): Promise<void> {
    clearInterval(this.ticker);
    this.ticker = undefined;
    await mapLimit([...this.lines.values()], 16, async (line) => {
      const port = line.port;
      line.port = undefined;
      if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
      await line.pair.stop(this.spec.linger);
    });
    this.lines.clear();
    this.s.connected = 0;
    if (this.ownDir && this.dir) await rm(this.dir, { recursive: true, force: true });
  }
}
