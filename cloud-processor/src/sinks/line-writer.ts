/**
 * Builds line protocol as bytes, for producers that write many points (the pipeline): no
 * string per piece, one UTF-8 view per message. It writes exactly what `toLine`
 * (line-protocol.ts) writes for the same point; the pieces are ASCII except a series key,
 * which goes in as UTF-8 bytes (see `seriesBytes`).
 *
 * Messages are written one after the other into a large slab and `take` hands out views of
 * it, never copies: the slab is never written again below what was taken, and a full slab is
 * left to the views still using it (the garbage collector frees it after their writes). Views
 * taken one after the other are adjacent in memory, so the sink writer joins a run of them
 * into one write without copying (`joinBatches`).
 */
import { formatFloat } from "./line-protocol.ts";

const ZERO = 48;
const MINUS = 45;
/** "00" to "99" as ASCII, two bytes each. */
const PAIRS = new Uint8Array(200);
for (let i = 0; i < 100; i++) {
  PAIRS[2 * i] = ZERO + Math.floor(i / 10);
  PAIRS[2 * i + 1] = ZERO + (i % 10);
}

export class LineWriter {
  private buf: Buffer;
  /** Where the message being written starts, and where the next byte goes. */
  private start = 0;
  private n = 0;

  constructor(private readonly slabBytes = 1 << 20) {
    this.buf = Buffer.allocUnsafeSlow(slabBytes);
  }

  /** Makes room for `bytes` more (call before each line with an upper bound for it). */
  reserve(bytes: number): void {
    if (this.n + bytes <= this.buf.length) return;
    // A new slab; the message written so far moves along (the old slab keeps what was taken).
    const written = this.n - this.start;
    const next = Buffer.allocUnsafeSlow(Math.max(this.slabBytes, 2 * (written + bytes)));
    this.buf.copy(next, 0, this.start, this.n);
    this.buf = next;
    this.start = 0;
    this.n = written;
  }

  bytes(b: Uint8Array): void {
    this.buf.set(b, this.n);
    this.n += b.length;
  }

  /** ASCII text (a literal such as " value="): one byte per character. */
  ascii(s: string): void {
    const buf = this.buf;
    let n = this.n;
    for (let i = 0; i < s.length; i++) buf[n++] = s.charCodeAt(i);
    this.n = n;
  }

  byte(c: number): void {
    this.buf[this.n++] = c;
  }

  /** A safe integer in decimal, as String(v) writes it (-0 as "0"). */
  int(v: number): void {
    const buf = this.buf;
    if (v < 0) {
      buf[this.n++] = MINUS;
      v = -v;
    }
    // Up to 16 digits: split in two halves below 1e8 so the digit loop stays in int32.
    if (v < 1e8) {
      this.small(v, 0);
      return;
    }
    // Exact: the quotient closest below an integer k is k - 1e-8 (v = k * 1e8 - 1), and
    // doubles below 2^53 / 1e8 are at most 1.5e-8 apart, so it never rounds up to k.
    const hi = Math.floor(v / 1e8);
    const lo = v - hi * 1e8;
    this.small(hi, 0);
    this.small(lo, 8);
  }

  /** 0 <= v < 1e8, left-padded with zeros to `width` digits; two digits a step. */
  private small(v: number, width: number): void {
    const buf = this.buf;
    let digits = width;
    if (digits === 0) {
      digits = 1;
      for (let p = 10; p <= v && digits < 8; p *= 10) digits++;
    }
    let i = this.n + digits;
    this.n = i;
    let x = v | 0;
    for (; digits >= 2; digits -= 2) {
      const q = (x / 100) | 0;
      const r = (x - q * 100) << 1;
      buf[--i] = PAIRS[r + 1]!;
      buf[--i] = PAIRS[r]!;
      x = q;
    }
    if (digits === 1) buf[--i] = ZERO + x;
  }

  /** A finite float field value, exactly as `formatFloat` writes it. */
  float(v: number): void {
    if (Number.isSafeInteger(v)) this.int(v);
    else this.ascii(formatFloat(v));
  }

  /** Everything written since the last `take`, as a view that is never written again. */
  take(): Uint8Array {
    const out = this.buf.subarray(this.start, this.n);
    this.start = this.n;
    return out;
  }
}

/** A series key (seriesKey's output) as the bytes LineWriter.bytes takes. */
export function seriesBytes(series: string): Uint8Array {
  return Buffer.from(series, "utf8");
}
