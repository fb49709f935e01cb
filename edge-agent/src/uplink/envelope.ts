/**
 * Boot id and per-boot sequence number every device-originated payload carries. The boot id
 * is random at each start, so (device, boot, seq) names one message forever and the cloud
 * can drop a republished copy.
 */
import { randomBytes } from "node:crypto";

export class Envelope {
  private seq = 0;
  constructor(
    readonly device: string,
    readonly boot: string = randomBytes(8).toString("hex"),
  ) {}

  /** `{v, device, boot, seq}` with the next sequence number. */
  next(): { v: 1; device: string; boot: string; seq: number } {
    return { v: 1, device: this.device, boot: this.boot, seq: this.seq++ };
  }

  get issued(): number {
    return this.seq;
  }
}
