/**
 * Boot id and per-boot sequence numbers every device-originated payload carries. The boot id
 * is random at each start, so (device, boot, seq) names one message forever and the cloud
 * can drop a republished copy. Each topic kind counts on its own (0, 1, 2, ... without a
 * gap), so the cloud can tell a missing telemetry message from an event sent in between and
 * put a redelivered backlog back in order.
 */
import { randomBytes } from "node:crypto";
import type { TopicKind } from "@fieldline/firmware-contracts";

export class Envelope {
  private readonly seqs = new Map<TopicKind, number>();
  constructor(
    readonly device: string,
    readonly boot: string = randomBytes(8).toString("hex"),
  ) {}

  /** `{v, device, boot, seq}` with the next sequence number of that kind of message. */
  next(kind: TopicKind): { v: 1; device: string; boot: string; seq: number } {
    const seq = this.seqs.get(kind) ?? 0;
    this.seqs.set(kind, seq + 1);
    return { v: 1, device: this.device, boot: this.boot, seq };
  }

  /** Messages of one kind numbered so far in this boot. */
  issued(kind: TopicKind): number {
    return this.seqs.get(kind) ?? 0;
  }
}
