/**
 * A minimal MQTT 3.1.1 client over a raw socket for load generation: pre-built packets,
 * one write per batch, no per-message objects, so the load processes cost far less CPU
 * than the brokers they measure. Supports CONNECT, SUBSCRIBE, QoS 1 PUBLISH and PUBACK only.
 */
import { connect as netConnect, type Socket } from "node:net";

function utf8(s: string): Buffer {
  const b = Buffer.from(s);
  return Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]);
}

function varint(n: number): Buffer {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return Buffer.from(out);
}

function packet(first: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([first]), varint(body.length), body]);
}

export interface Handlers {
  /** QoS 1 PUBLISH received: payload view and packet id (ack with `ack`). */
  publish?(payload: Buffer, id: number): void;
  puback?(id: number): void;
  /** Called once per socket read after its packets were dispatched. */
  batchEnd?(): void;
}

export class RawMqtt {
  private sock!: Socket;
  private pending: Buffer | undefined;
  private acks: Buffer[] = [];
  private resolveConnack?: (code: number) => void;
  private resolveSuback?: (codes: number[]) => void;

  constructor(private readonly handlers: Handlers = {}) {}

  /** CONNECT with username and password; `clean` false asks for a persistent session. */
  connect(port: number, clientId: string, username: string, password: string, clean = true): Promise<void> {
    return new Promise((resolve, reject) => {
      this.sock = netConnect({ port, host: "127.0.0.1", noDelay: true }, () => {
        const flags = clean ? 0xc2 : 0xc0;
        const body = Buffer.concat([utf8("MQTT"), Buffer.from([4, flags, 0, 0]), utf8(clientId), utf8(username), utf8(password)]);
        this.sock.write(packet(0x10, body));
      });
      this.sock.on("data", (d: Buffer) => this.onData(d));
      this.sock.once("error", reject);
      this.resolveConnack = (code) => (code === 0 ? resolve() : reject(new Error(`CONNACK ${code}`)));
    });
  }

  subscribe(filter: string): Promise<number[]> {
    return new Promise((resolve) => {
      this.resolveSuback = resolve;
      this.sock.write(packet(0x82, Buffer.concat([Buffer.from([0, 1]), utf8(filter), Buffer.from([1])])));
    });
  }

  write(b: Buffer): boolean {
    return this.sock.write(b);
  }

  get writableLength(): number {
    return this.sock.writableLength;
  }

  ack(id: number): void {
    this.acks.push(Buffer.from([0x40, 2, id >> 8, id & 0xff]));
  }

  end(): void {
    this.sock.end(Buffer.from([0xe0, 0]));
  }

  destroy(): void {
    this.sock.destroy();
  }

  private onData(chunk: Buffer): void {
    let buf = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    let i = 0;
    for (;;) {
      if (buf.length - i < 2) break;
      let len = 0;
      let mult = 1;
      let k = i + 1;
      let complete = false;
      for (; k < buf.length && k < i + 5; k++) {
        const b = buf[k]!;
        len += (b & 0x7f) * mult;
        mult *= 128;
        if (!(b & 0x80)) {
          complete = true;
          break;
        }
      }
      if (!complete) break;
      const start = k + 1;
      if (buf.length < start + len) break;
      this.dispatch(buf[i]!, buf.subarray(start, start + len));
      i = start + len;
    }
    this.pending = i < buf.length ? Buffer.from(buf.subarray(i)) : undefined;
    buf = Buffer.alloc(0);
    if (this.acks.length) {
      this.sock.write(Buffer.concat(this.acks));
      this.acks = [];
    }
    this.handlers.batchEnd?.();
  }

  private dispatch(first: number, body: Buffer): void {
    switch (first >> 4) {
      case 2:
        this.resolveConnack?.(body[1]!);
        break;
      case 9:
        this.resolveSuback?.([...body.subarray(2)]);
        break;
      case 4:
        this.handlers.puback?.(body.readUInt16BE(0));
        break;
      case 3: {
        const qos = (first >> 1) & 3;
        const topicLen = body.readUInt16BE(0);
        let off = 2 + topicLen;
        let id = 0;
        if (qos > 0) {
          id = body.readUInt16BE(off);
          off += 2;
          this.ack(id);
        }
        this.handlers.publish?.(body.subarray(off), id);
        break;
      }
    }
  }
}

/** A QoS 1 PUBLISH template for one topic; `fill` writes the packet id and an 8-byte send time. */
export function publishTemplate(topic: string, payloadBytes: number) {
  const head = utf8(topic);
  const bodyLen = head.length + 2 + payloadBytes;
  const template = Buffer.concat([Buffer.from([0x32]), varint(bodyLen), head, Buffer.alloc(2 + payloadBytes)]);
  const idOffset = template.length - payloadBytes - 2;
  return {
    size: template.length,
    fill(target: Buffer, at: number, id: number, time: number): void {
      template.copy(target, at);
      target.writeUInt16BE(id, at + idOffset);
      target.writeDoubleLE(time, at + idOffset + 2);
    },
  };
}
