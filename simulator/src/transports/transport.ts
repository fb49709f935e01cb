/**
 * How a simulated fleet reaches the system under test. The runner decides what every device
 * sends and when; a transport only puts it on a wire. Implementations: `registry.ts`.
 */
import type { Reading } from "@fieldline/firmware-contracts";
import type { SimDevice } from "../run/fleet";

/** One message's worth of readings from one device, numbered per boot. */
export interface OutboundBatch {
  device: SimDevice;
  boot: string;
  /** Per-boot message sequence number, from 0. */
  seq: number;
  /** Event time the device booted (serial frames carry ms since boot). */
  bootTime: number;
  readings: Reading[];
}

export interface BootInfo {
  boot: string;
  /** Event time of the boot. */
  t: number;
}

/** Line faults a transport may be able to act out; it says which in `corruptions`. */
export type Corruption = { type: "garbage"; bytes: Uint8Array } | { type: "crcError"; count: number; batch: OutboundBatch };

export interface TransportStats {
  /** Messages handed to the wire. */
  messagesSent: number;
  /** Messages the far side acknowledged (MQTT PUBACK; serial: written and drained). */
  messagesAcked: number;
  readingsSent: number;
  readingsAcked: number;
  /** Sends that failed (and were not retried by the transport). */
  failed: number;
  bytes: number;
  /** Devices currently connected. */
  connected: number;
}

export interface Transport {
  readonly name: string;
  /** Which `Corruption` types it can act out; the others are labelled as not applied. */
  readonly corruptions: ReadonlySet<Corruption["type"]>;
  /** Most readings one message may carry (serial frames hold 32); default: the batch setting. */
  readonly maxReadings?: number;
  /** Devices booted at once at the start of a run (default 1). */
  readonly concurrency?: number;
  /** Opens one connection or port per device; each device then gets `boot`. */
  start(devices: readonly SimDevice[]): Promise<void>;
  /** The device (re)booted: announce it (MQTT: online state; serial: hello frame). */
  boot(device: SimDevice, info: BootInfo): Promise<void>;
  /**
   * Sends one batch. Resolves when the transport can take more (backpressure), not
   * necessarily when acknowledged; `drain` waits for acknowledgements.
   */
  send(batch: OutboundBatch): Promise<void>;
  /** Takes a device off the network, or back on (disconnect/reconnect faults). */
  setOnline(device: SimDevice, online: boolean): Promise<void>;
  corrupt(device: SimDevice, c: Corruption): Promise<void>;
  /** Waits until every sent message is acknowledged or failed, at most `timeoutMs`. */
  drain(timeoutMs: number): Promise<void>;
  stats(): TransportStats;
  /** Closes everything `start` opened. */
  stop(): Promise<void>;
}

export function emptyStats(): TransportStats {
  return { messagesSent: 0, messagesAcked: 0, readingsSent: 0, readingsAcked: 0, failed: 0, bytes: 0, connected: 0 };
}
