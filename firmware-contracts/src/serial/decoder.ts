/**
 * Streaming serial frame decoder: feed it whatever the UART delivers, in any chunking, and
 * it returns every complete frame, good or bad. It never throws on input: corrupt, oversize
 * or unknown frames come back as FrameErrors and are counted. A 0x00 always ends a frame,
 * so after garbage the decoder is back in sync at the next delimiter.
 */
import { cobsDecodeInto, cobsMaxEncodedLength } from "./cobs";
import {
  FrameError,
  MAX_FRAME_BYTES,
  parseFrame,
  type FrameErrorReason,
  type FrameResult,
} from "./frame";

export interface FrameDecoderOptions {
  /** Largest frame accepted, before COBS and without the delimiter. Default MAX_FRAME_BYTES. */
  maxFrameBytes?: number;
}

export type FrameCounters = {
  /** Bytes pushed in. */
  bytes: number;
  /** Frames decoded and validated. */
  frames: number;
  /** Frames reported as errors, all reasons. */
  errors: number;
} & Record<FrameErrorReason, number>;

export class FrameDecoder {
  private readonly maxFrameBytes: number;
  /** Bytes of the frame in progress (still COBS-encoded). */
  private readonly buf: Uint8Array;
  private readonly scratch: Uint8Array;
  private len = 0;
  /** True after an oversize report, until the next delimiter. */
  private discarding = false;
  private readonly c: FrameCounters = {
    bytes: 0,
    frames: 0,
    errors: 0,
    crc: 0,
    cobs: 0,
    oversize: 0,
    version: 0,
    type: 0,
    cbor: 0,
    schema: 0,
  };

  constructor(opts: FrameDecoderOptions = {}) {
    const max = opts.maxFrameBytes ?? MAX_FRAME_BYTES;
    if (!Number.isInteger(max) || max < 1)
      throw new RangeError(`maxFrameBytes must be a positive integer, got ${max}`);
    this.maxFrameBytes = max;
    this.buf = new Uint8Array(cobsMaxEncodedLength(max));
    this.scratch = new Uint8Array(this.buf.length);
  }

  get counters(): Readonly<FrameCounters> {
    return this.c;
  }

  /** Drops a partly received frame (e.g. after reopening the port). */
  reset(): void {
    this.len = 0;
    this.discarding = false;
  }

  push(chunk: Uint8Array): FrameResult[] {
    const results: FrameResult[] = [];
    this.c.bytes += chunk.length;
    let start = 0;
    while (start < chunk.length) {
      const zero = chunk.indexOf(0, start);
      const end = zero === -1 ? chunk.length : zero;
      if (!this.discarding && end > start) this.append(chunk, start, end, results);
      if (zero === -1) break;
      if (this.discarding) this.discarding = false;
      else if (this.len > 0) results.push(this.finish());
      this.len = 0;
      start = zero + 1;
    }
    return results;
  }

  private append(chunk: Uint8Array, start: number, end: number, results: FrameResult[]): void {
    const n = end - start;
    if (this.len + n <= this.buf.length) {
      this.buf.set(chunk.subarray(start, end), this.len);
      this.len += n;
      return;
    }
    const head = new Uint8Array(this.buf.length);
    head.set(this.buf.subarray(0, this.len));
    head.set(chunk.subarray(start, start + head.length - this.len), this.len);
    results.push(
      this.error(
        FrameError.report(
          "oversize",
          `frame exceeds ${this.buf.length} B on the wire (limit ${this.maxFrameBytes} B decoded); skipped to the next 0x00`,
          head,
        ),
      ),
    );
    this.discarding = true;
    this.len = 0;
  }

  private finish(): FrameResult {
    const wire = this.buf.subarray(0, this.len); // parseFrame copies it on failure
    const n = cobsDecodeInto(this.buf, this.len, this.scratch);
    if (n < 0) {
      return this.error(
        FrameError.report(
          "cobs",
          "invalid COBS: a code byte runs past the end of the frame",
          wire.slice(),
        ),
      );
    }
    if (n > this.maxFrameBytes) {
      return this.error(
        FrameError.report(
          "oversize",
          `frame is ${n} B, limit ${this.maxFrameBytes} B`,
          wire.slice(),
        ),
      );
    }
    const result = parseFrame(this.scratch.subarray(0, n), wire);
    if (result.ok) this.c.frames++;
    else this.countError(result.error.reason);
    return result;
  }

  private error(error: FrameError): FrameResult {
    this.countError(error.reason);
    return { ok: false, error };
  }

  private countError(reason: FrameErrorReason): void {
    this.c.errors++;
    this.c[reason]++;
  }
}
