/**
 * Modbus RTU master transactions on one port: write a request, collect its response,
 * time out, retry after a CRC error or timeout. Only one transaction at a time (the bus
 * scheduler guarantees it; a second call while one is pending is a programming error).
 * Bytes that arrive outside a transaction (late answers) are discarded and counted. After a
 * timeout the bus is left to settle (min(timeoutMs, 50) ms) before the next request, so an
 * answer that was merely late is discarded rather than taken for the next one (RTU frames
 * carry no transaction id).
 */
import { encodeReadRequest, ResponseAssembler, type ReadRequest, type ReadResponse } from "./pdu";
import { interFrameMs, sleepAtLeast, transmitMs } from "./timing";

export type Transaction = ReadResponse | { ok: false; kind: "timeout" | "port"; message: string };

export interface MasterOptions {
  baudRate: number;
  timeoutMs: number;
  retries: number;
}

export class RtuMaster {
  private pending: { asm: ResponseAssembler; done: (r: Transaction) => void } | undefined;
  private settle = false;
  readonly counters = { requests: 0, retries: 0, timeouts: 0, crcErrors: 0, strayBytes: 0 };

  constructor(
    private readonly write: (bytes: Uint8Array) => Promise<void>,
    private readonly opts: MasterOptions,
  ) {}

  /** Feed every byte the port receives. */
  onData(chunk: Uint8Array): void {
    const p = this.pending;
    if (!p) {
      this.counters.strayBytes += chunk.length;
      return;
    }
    const r = p.asm.push(chunk);
    if (r) p.done(r);
  }

  /** `retries` overrides the configured count (e.g. 0 for a unit already known to be silent). */
  async read(req: ReadRequest, retries = this.opts.retries): Promise<Transaction> {
    if (this.pending) throw new Error("a Modbus transaction is already in flight on this bus");
    const frame = encodeReadRequest(req);
    // Our request on the line, the slave's answer on the line, plus the configured slack.
    const timeout =
      this.opts.timeoutMs + transmitMs(this.opts.baudRate, frame.length + 5 + 2 * req.count);
    let last: Transaction = { ok: false, kind: "timeout", message: "not attempted" };
    for (let attempt = 0; attempt <= retries; attempt++) {
      if (attempt > 0) {
        this.counters.retries++;
        await sleepAtLeast(interFrameMs(this.opts.baudRate));
      }
      if (this.settle) {
        this.settle = false;
        await sleepAtLeast(Math.min(this.opts.timeoutMs, 50));
      }
      last = await this.once(req, frame, timeout);
      if (!last.ok && last.kind === "timeout") this.settle = true;
      if (last.ok || (last.kind !== "timeout" && last.kind !== "crc")) return last;
    }
    return last;
  }

  private once(req: ReadRequest, frame: Uint8Array, timeoutMs: number): Promise<Transaction> {
    this.counters.requests++;
    return new Promise<Transaction>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (r: Transaction) => {
        if (this.pending?.done !== done) return;
        this.pending = undefined;
        if (timer) clearTimeout(timer);
        if (!r.ok && r.kind === "timeout") this.counters.timeouts++;
        if (!r.ok && r.kind === "crc") this.counters.crcErrors++;
        resolve(r);
      };
      this.pending = { asm: new ResponseAssembler(req), done };
      this.write(frame).then(
        () => {
          timer = setTimeout(() => {
            const got = this.pending?.asm.received ?? 0;
            done({
              ok: false,
              kind: "timeout",
              message: `no complete answer from unit ${req.unit} in ${Math.round(timeoutMs)} ms (${got} B received)`,
            });
          }, timeoutMs);
        },
        (err: Error) => done({ ok: false, kind: "port", message: err.message }),
      );
    });
  }
}
