/**
 * Everything the device sends with QoS 1 goes through here: encoded with the envelope
 * (boot id, next sequence number) and appended to the outbox before any publish.
 */
import {
  encodePayload,
  ID_PATTERN,
  type CommandResult,
  type DeviceEvent,
  type Reading,
  type ReportedConfig,
} from "@fieldline/firmware-contracts";
import type { Outbox, OutboxKind, OutboxMessage } from "../outbox";
import type { Envelope } from "../uplink/envelope";

export type EventInput = Omit<DeviceEvent, "v" | "device" | "boot" | "seq" | "t"> & { t?: number };

export interface MessageLogger {
  error(obj: unknown, msg?: string): void;
}

export class Messages {
  /** Messages that could not be encoded (a bug, logged) or were refused by a full outbox. */
  failed = 0;

  constructor(
    private readonly envelope: Envelope,
    private readonly outbox: Outbox,
    private readonly clock: () => number,
    private readonly kick: () => void,
    private readonly logger: MessageLogger,
  ) {}

  /**
   * One telemetry message per batch, all appended in one write, `meta` kept with the last
   * (see OutboxMessage.meta): on disk with every reading of the batches, or not at all.
   */
  telemetryAll(batches: Reading[][], meta?: Uint8Array): void {
    const msgs: OutboxMessage[] = [];
    for (const readings of batches) {
      const payload = this.encode("telemetry", () => encodePayload("telemetry", { ...this.envelope.next("telemetry"), readings }));
      if (payload) msgs.push({ kind: "telemetry", retain: false, payload });
    }
    if (msgs.length === 0) return;
    if (meta) msgs[msgs.length - 1] = { ...msgs[msgs.length - 1]!, meta };
    for (const r of this.outbox.appendAll(msgs)) if (!r.ok) this.failed++;
    this.kick();
  }

  event(e: EventInput): void {
    const { rule, t, ...rest } = e;
    const value: DeviceEvent = { ...this.envelope.next("events"), t: t ?? this.clock(), ...rest };
    // Rule ids may use characters topic ids may not; such an id travels in data instead.
    if (rule !== undefined) {
      if (ID_PATTERN.test(rule)) value.rule = rule;
      else value.data = { ...value.data, rule };
    }
    this.append("events", false, () => encodePayload("events", value));
  }

  commandResult(r: Omit<CommandResult, "v" | "device" | "boot" | "seq" | "t">): void {
    this.append("commandResults", false, () =>
      encodePayload("commandResults", { ...this.envelope.next("commandResults"), t: this.clock(), ...r }),
    );
  }

  reportedConfig(r: Omit<ReportedConfig, "v" | "device" | "boot" | "seq" | "t">): void {
    this.append("reportedConfig", true, () =>
      encodePayload("reportedConfig", { ...this.envelope.next("reportedConfig"), t: this.clock(), ...r }),
    );
  }

  private append(kind: OutboxKind, retain: boolean, encode: () => Uint8Array): void {
    const payload = this.encode(kind, encode);
    if (!payload) return;
    const r = this.outbox.append({ kind, retain, payload });
    if (!r.ok) this.failed++;
    this.kick();
  }

  /** The payload, or undefined (counted and logged) when the message does not match its schema. */
  private encode(kind: OutboxKind, encode: () => Uint8Array): Uint8Array | undefined {
    try {
      return encode();
    } catch (err) {
      this.failed++;
      this.logger.error({ err, kind }, "message does not match its schema; dropped");
      return undefined;
    }
  }
}
