/**
 * A small Modbus RTU slave (server) on a serial port: the fake that ships beside the real
 * master, used by tests and by the simulator. It serves function 3 (holding) and 4 (input)
 * for any number of units, answers exception 2 for addresses it does not hold and
 * exception 1 for other function codes, stays silent on a CRC error or another unit's
 * address (Modbus over Serial Line V1.02 §2.4.1), and can be told to be slow, silent, or
 * to corrupt answers. Every request is logged with its arrival and answer times.
 */
import { SerialPort } from "serialport";
import { crcOk, withCrc } from "./crc";
import { FC_READ_HOLDING, FC_READ_INPUT, MAX_READ_REGISTERS } from "./pdu";
import { encodeRegisters, type RegisterType } from "./registers";
import { interFrameMs } from "./timing";

export type Table = "holding" | "input";

export interface SlaveRequestLog {
  unit: number;
  fc: number;
  address: number;
  count: number;
  /** performance.now() when the request was complete, and when the answer was written (if any). */
  receivedAt: number;
  answeredAt?: number;
  answer: "data" | "exception" | "none";
}

export interface SlaveOptions {
  path: string;
  baudRate?: number;
  parity?: "none" | "even" | "odd";
  /** Units served, each with the register addresses it holds (unset addresses: exception 2). */
  units: number[];
}

export class ModbusRtuSlave {
  readonly log: SlaveRequestLog[] = [];
  private port: SerialPort | undefined;
  private readonly regs = new Map<string, number>();
  private buf = Buffer.alloc(0);
  private flushTimer: NodeJS.Timeout | undefined;
  private readonly silent = new Set<number>();
  private corrupt = 0;
  /** Extra delay before answering, ms. */
  delayMs = 0;
  /** Exception code to answer every request with (e.g. 6, device busy), or undefined. */
  forceException: number | undefined;

  constructor(private readonly opts: SlaveOptions) {}

  async start(): Promise<void> {
    const port = new SerialPort({
      path: this.opts.path,
      baudRate: this.opts.baudRate ?? 9600,
      parity: this.opts.parity ?? "even",
      autoOpen: false,
    });
    await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
    port.on("data", (chunk: Buffer) => this.onData(chunk));
    port.on("error", () => undefined);
    this.port = port;
  }

  async stop(): Promise<void> {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    const port = this.port;
    this.port = undefined;
    if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
  }

  set(unit: number, table: Table, address: number, words: number[]): void {
    words.forEach((w, i) => this.regs.set(key(unit, table, address + i), w & 0xffff));
  }

  setValue(
    unit: number,
    table: Table,
    address: number,
    value: number,
    type: RegisterType,
    wordOrder: "big" | "little" = "big",
  ): void {
    this.set(unit, table, address, encodeRegisters(value, type, wordOrder));
  }

  /** A silent unit never answers (unplugged device, wrong address). */
  setSilent(unit: number, silent: boolean): void {
    if (silent) this.silent.add(unit);
    else this.silent.delete(unit);
  }

  /** Flip a bit in the next `n` answers (the master sees CRC errors). */
  corruptNext(n: number): void {
    this.corrupt = n;
  }

  private onData(chunk: Buffer): void {
    this.buf = Buffer.concat([this.buf, chunk]);
    for (;;) {
      const n = this.requestLength();
      if (n === undefined || this.buf.length < n) break;
      const frame = this.buf.subarray(0, n);
      this.buf = this.buf.subarray(n);
      this.handle(new Uint8Array(frame));
    }
    // Anything left that is not a whole request is dropped after a t3.5 silence.
    if (this.flushTimer) clearTimeout(this.flushTimer);
    if (this.buf.length)
      this.flushTimer = setTimeout(
        () => this.unknown(),
        Math.max(2, interFrameMs(this.opts.baudRate ?? 9600)),
      );
  }

  /** Reads are always 8 bytes; for anything else the frame ends at the next silence. */
  private requestLength(): number | undefined {
    if (this.buf.length < 2) return undefined;
    const fc = this.buf[1]!;
    return fc === FC_READ_HOLDING || fc === FC_READ_INPUT ? 8 : undefined;
  }

  private unknown(): void {
    const frame = new Uint8Array(this.buf);
    this.buf = Buffer.alloc(0);
    if (frame.length < 4 || !crcOk(frame)) return;
    const [unit, fc] = [frame[0]!, frame[1]!];
    this.log.push({
      unit,
      fc,
      address: -1,
      count: 0,
      receivedAt: performance.now(),
      answer: "exception",
    });
    this.answer(unit, new Uint8Array([unit, fc | 0x80, 1]));
  }

  private handle(frame: Uint8Array): void {
    const receivedAt = performance.now();
    if (!crcOk(frame)) return; // §2.4.1: no answer to a corrupt request
    const unit = frame[0]!;
    const fc = frame[1]!;
    const address = (frame[2]! << 8) | frame[3]!;
    const count = (frame[4]! << 8) | frame[5]!;
    const entry: SlaveRequestLog = { unit, fc, address, count, receivedAt, answer: "none" };
    this.log.push(entry);
    if (!this.opts.units.includes(unit) || this.silent.has(unit)) return;
    const table: Table = fc === FC_READ_HOLDING ? "holding" : "input";
    let pdu: Uint8Array;
    const values: number[] = [];
    for (let a = address; a < address + count; a++)
      values.push(this.regs.get(key(unit, table, a)) ?? -1);
    if (this.forceException !== undefined)
      pdu = new Uint8Array([unit, fc | 0x80, this.forceException]);
    else if (count < 1 || count > MAX_READ_REGISTERS) pdu = new Uint8Array([unit, fc | 0x80, 3]);
    else if (values.includes(-1)) pdu = new Uint8Array([unit, fc | 0x80, 2]);
    else {
      pdu = new Uint8Array(3 + 2 * count);
      pdu.set([unit, fc, 2 * count]);
      values.forEach((v, i) => pdu.set([v >> 8, v & 0xff], 3 + 2 * i));
    }
    entry.answer = pdu[1]! & 0x80 ? "exception" : "data";
    this.answer(unit, pdu, entry);
  }

  private answer(_unit: number, pdu: Uint8Array, entry?: SlaveRequestLog): void {
    const frame = withCrc(pdu);
    if (this.corrupt > 0) {
      this.corrupt--;
      frame[frame.length - 3]! ^= 0x01;
    }
    const send = () => {
      const port = this.port;
      if (!port?.isOpen) return;
      if (entry) entry.answeredAt = performance.now();
      port.write(Buffer.from(frame));
    };
    if (this.delayMs > 0) setTimeout(send, this.delayMs);
    else send();
  }
}

function key(unit: number, table: Table, address: number): string {
  return `${unit}:${table}:${address}`;
}
