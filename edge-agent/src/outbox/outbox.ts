/**
 * The durable queue between reading and publishing. Every message the device sends with
 * QoS 1 (telemetry batches, events, command results, reported config) is appended here
 * before it is published and removed only after the broker's PUBACK.
 *
 * Positions are opaque, totally ordered ids (`seg * 2^32 + offset` in the segment outbox);
 * `ack()` may be called in any order, the oldest unacked record bounds what is kept.
 */

/** The topic kinds that go through the outbox. `state` is published directly (retained). */
export type OutboxKind = "telemetry" | "events" | "commandResults" | "reportedConfig";

export interface OutboxMessage {
  kind: OutboxKind;
  /** Publish with the MQTT retain flag (reported config). */
  retain: boolean;
  /** The encoded CBOR payload, exactly as it will be published (and republished). */
  payload: Uint8Array;
  /**
   * Bytes kept with the record, in the same write, and never published: what the agent must
   * know was stored exactly when the message was (the serial input's stored frame seqs).
   * Records read back carry it; `recoveredMeta()` lists it after a restart.
   */
  meta?: Uint8Array;
}

export interface OutboxRecord extends OutboxMessage {
  /** Position of the record; strictly increasing in append order. */
  id: number;
}

export interface OutboxStats {
  /** Records appended and not yet acknowledged. */
  depth: number;
  /** Bytes on disk held by the outbox (segments, headers included). */
  bytes: number;
  /** Records dropped because the outbox was full (see `full` policy). */
  dropped: number;
  /** Records refused because the outbox was full (drop-newest policy). */
  refused: number;
  /** Bytes of torn or corrupt data skipped when the outbox was opened. */
  tornBytes: number;
  /** Records appended since open. */
  appended: number;
  /** Records acknowledged since open. */
  acked: number;
}

/** Outcome of an append: stored, or refused because the outbox is full (drop-newest). */
export type AppendResult = { ok: true; id: number } | { ok: false; reason: "full" };

export interface Outbox {
  /** Opens the directory, recovers from a crash (skips a torn tail), restores the ack cursor. */
  open(): Promise<void>;
  /** Syncs and closes every file. */
  close(): Promise<void>;
  /** Appends one message; written (and fsynced per the policy) before this returns. */
  append(msg: OutboxMessage): AppendResult;
  /**
   * Appends messages in one write (a process killed meanwhile leaves all or none of them),
   * all or none refused when the outbox is full (drop-newest).
   */
  appendAll(msgs: readonly OutboxMessage[]): AppendResult[];
  /** The meta of the records found unacknowledged when the outbox was opened, in order. */
  recoveredMeta(): readonly Uint8Array[];
  /**
   * Up to `max` records in append order, continuing after the last record read. Every
   * record read is "in flight" until acked; `rewind()` starts over at the oldest unacked one.
   */
  read(max: number): OutboxRecord[];
  /** Restart reading at the oldest unacked record (after a reconnect). */
  rewind(): void;
  /** The broker acknowledged `id`; once every older record is acked its space is released. */
  ack(id: number): void;
  /** Forces buffered writes and the ack cursor to disk (graceful shutdown, "interval" policy). */
  sync(): void;
  stats(): OutboxStats;
}
