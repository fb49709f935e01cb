/**
 * An MQTT 3.1.1 client over a raw socket that records every packet the broker sends, in
 * order (mqtt.js hides a PUBLISH written before CONNACK: it never reports the connection).
 * QoS 1 PUBLISH is acknowledged at once.
 */
import { connect as netConnect, type Socket } from "node:net";

export interface Seen {
  type: number;
  topic?: string;
  payload?: string;
  dup?: boolean;
}

function utf8(s: string): Buffer {
  const b = Buffer.from(s);
  return Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]);
}

function packet(first: number, body: Buffer): Buffer {
  const len: number[] = [];
  let n = body.length;
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    len.push(b);
  } while (n > 0);
  return Buffer.concat([Buffer.from([first, ...len]), body]);
}

export const CONNACK = 2;
export const PUBLISH = 3;
export const SUBACK = 9;

export class RawClient {
  readonly seen: Seen[] = [];
  private sock!: Socket;
  private pending = Buffer.alloc(0);
  private waiters: { check: () => boolean; resolve: () => void }[] = [];

  connect(port: number, o: { clientId: string; username: string; password: string; clean: boolean }): Promise<void> {
    const flags = 0xc0 | (o.clean ? 0x02 : 0);
    const body = Buffer.concat([utf8("MQTT"), Buffer.from([4, flags, 0, 60]), utf8(o.clientId), utf8(o.username), utf8(o.password)]);
    this.sock = netConnect({ port, host: "127.0.0.1", noDelay: true }, () => this.sock.write(packet(0x10, body)));
    this.sock.on("data", (d: Buffer) => this.onData(d));
    this.sock.on("error", () => undefined);
    return this.until(() => this.seen.some((s) => s.type === CONNACK));
  }

  subscribe(filter: string): Promise<void> {
    this.sock.write(packet(0x82, Buffer.concat([Buffer.from([0, 1]), utf8(filter), Buffer.from([1])])));
    return this.until(() => this.seen.some((s) => s.type === SUBACK));
  }

  /** Sends DISCONNECT and closes. */
  disconnect(): Promise<void> {
    return new Promise((resolve) => {
      this.sock.once("close", () => resolve());
      this.sock.end(Buffer.from([0xe0, 0]));
    });
  }

  publishes(): Seen[] {
    return this.seen.filter((s) => s.type === PUBLISH);
  }

  until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timed out; saw ${this.seen.length} packets`)), timeoutMs);
      this.waiters.push({ check, resolve: () => (clearTimeout(t), resolve()) });
    });
  }

  private onData(d: Buffer): void {
    let buf = Buffer.concat([this.pending, d]);
    for (;;) {
      if (buf.length < 2) break;
      let len = 0;
      let mult = 1;
      let k = 1;
      let done = false;
      for (; k < buf.length && k < 5; k++) {
        len += (buf[k]! & 0x7f) * mult;
        mult *= 128;
        if (!(buf[k]! & 0x80)) {
          done = true;
          break;
        }
      }
      if (!done || buf.length < k + 1 + len) break;
      const first = buf[0]!;
      const body = buf.subarray(k + 1, k + 1 + len);
      buf = buf.subarray(k + 1 + len);
      const type = first >> 4;
      if (type === PUBLISH) {
        const qos = (first >> 1) & 3;
        const tlen = body.readUInt16BE(0);
        let off = 2 + tlen;
        if (qos > 0) {
          const id = body.readUInt16BE(off);
          off += 2;
          this.sock.write(Buffer.from([0x40, 2, id >> 8, id & 0xff]));
        }
        this.seen.push({ type, topic: body.toString("utf8", 2, 2 + tlen), payload: body.toString("utf8", off), dup: Boolean(first & 8) });
      } else this.seen.push({ type });
    }
    this.pending = Buffer.from(buf);
    this.waiters = this.waiters.filter((w) => (w.check() ? (w.resolve(), false) : true));
  }
}
