/**
 * Ground-truth JSONL records. A run writes, in order: one `run`, one `device` per device,
 * every `label`, then `boot`, `reading` and `fault` records in event-time order, and one
 * `end`. Nothing in it depends on wall time, so the same spec and seed give the same bytes.
 */
import type { Label } from "../inject/plan";

/** JSON has no NaN or Infinity; they are written as these strings. */
export type JsonNumber = number | "NaN" | "Infinity" | "-Infinity";

export interface RunRecord {
  type: "run";
  format: 1;
  seed: number;
  start: number;
  end: number;
  devices: number;
  series: number;
  transport: string;
}

export interface DeviceRecord {
  type: "device";
  device: string;
  site: string;
  profile: string;
  firmware: string;
  sensors: string[];
}

export type LabelRecord = { type: "label" } & Label;

export interface BootRecord {
  type: "boot";
  device: string;
  boot: string;
  t: number;
}

export interface ReadingRecord {
  type: "reading";
  device: string;
  site: string;
  sensor: string;
  /** Timestamp as sent (includes any clock skew). */
  t: number;
  value: JsonNumber;
  boot: string;
  /** Sequence number of the message that carried it; absent when lost. */
  seq?: number;
  /** True event time, present when a clock skew made `t` differ. */
  trueT?: number;
  /** Anomaly types that shaped this value. */
  labels?: string[];
  /** Taken while the device was offline without an outbox: never sent, not expected downstream. */
  lost?: true;
}

export interface FaultRecord {
  type: "fault";
  fault: string;
  phase: "start" | "end";
  t: number;
  device?: string;
  /** False when the transport cannot act this fault out (e.g. CRC errors over MQTT). */
  applied: boolean;
}

export interface EndRecord {
  type: "end";
  readings: number;
  lost: number;
  messages: number;
}

export type TruthRecord = RunRecord | DeviceRecord | LabelRecord | BootRecord | ReadingRecord | FaultRecord | EndRecord;

export function toJsonNumber(v: number): JsonNumber {
  if (Number.isFinite(v)) return v;
  return Number.isNaN(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity";
}

export function fromJsonNumber(v: JsonNumber): number {
  return typeof v === "number" ? v : Number(v);
}
