/**
 * The shapes of the golden cases. Each case becomes one file under vectors/: valid frames and
 * payloads with their bytes and decoded JSON, and invalid ones with the error a decoder must
 * report. The cases themselves are in frame-cases.ts and payload-cases.ts.
 */
import type { PayloadOf, TopicKind } from "../../src";
import type { FrameInput } from "../../src/serial";

export interface FrameCase {
  name: string;
  description: string;
  frame: FrameInput;
}

/** A frame built byte by byte: an invalid one, or a valid one our encoder would write differently. */
export interface RawFrameCase {
  name: string;
  description: string;
  wire: Uint8Array;
  /** The reason a decoder must report, or absent if the frame is valid. */
  error?: string;
  /** For valid raw frames: what it decodes to. */
  decoded?: FrameInput;
}

export interface PayloadCase<K extends TopicKind = TopicKind> {
  name: string;
  description: string;
  kind: K;
  value: PayloadOf<K>;
}

export interface RawPayloadCase {
  name: string;
  description: string;
  kind: TopicKind;
  cbor: Uint8Array;
  error: string;
}

/** 2023-11-14T22:13:20Z in ms: above 2^32, so a 64-bit CBOR integer. */
export const T0 = 1_700_000_000_000;
export const sensorIds = ["temp", "pressure", "flow", "vib-x", "vib.y", "level_1"];
