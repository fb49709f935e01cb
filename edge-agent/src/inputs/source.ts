import type { GpioChip } from "../gpio/chip";

/** One value read by an input, in event time. */
export interface SourceReading {
  sensor: string;
  /** Event time, epoch ms (integer). */
  t: number;
  value: number;
  /** Quality: 0 good (default), 1 uncertain, 2 bad. */
  q?: 0 | 1 | 2;
}

export interface SourceEvent {
  type: string;
  severity?: "info" | "warning" | "critical";
  message?: string;
  data?: Record<string, unknown>;
}

/** Where an input delivers what it reads. Implementations must not throw. */
/**
 * What an input needs to find again after a restart if, and only if, its readings were
 * stored: kept in the outbox with the last of them, in the same write (serial-frames: the
 * MCU boot and the seqs of the frames those readings came from).
 */
export interface StoredMark {
  input: string;
  boot: string | number;
  seqs: number[];
}

export interface SourceSink {
  /** Readings from any input, in arrival order; `marks` are stored with them (StoredMark). */
  readings(rs: SourceReading[], marks?: StoredMark[]): void;
  /**
   * Calls `done` once every reading passed to `readings` so far is appended to the outbox
   * (or rejected); the serial-frames input acknowledges frames to the MCU from here. Absent:
   * readings are taken as stored when `readings` returns.
   */
  stored?(done: () => void): void;
  /** Device events: firmware faults, port lost/reopened, Modbus exceptions, ... */
  event(e: SourceEvent): void;
  /** A bad frame/sentence/response, counted and skipped (`reason` is a short stable label). */
  rejected(reason: string, detail?: string): void;
}

/**
 * An input. The constructor only stores config; `start()` opens ports/lines and resolves once
 * the input is running (a port that is absent at start is retried in the background, reported
 * through `sink.event`, never a rejection); `stop()` releases every handle and timer.
 */
export interface ReadingSource {
  readonly id: string;
  start(sink: SourceSink): Promise<void>;
  stop(): Promise<void>;
}

export interface Logger {
  info(obj: unknown, msg?: string): void;
  warn(obj: unknown, msg?: string): void;
  error(obj: unknown, msg?: string): void;
}

/** Collaborators an input may use; all passed in by the agent. */
export interface InputDeps {
  /** Epoch ms. */
  clock: () => number;
  /** Needed only by the "gpio" input. */
  gpio?: GpioChip;
  logger?: Logger;
  /** Directory for an input's small state files (the agent passes `<dataDir>/inputs`). */
  stateDir?: string;
  /**
   * Called once readings frames are in the outbox, before their seqs are written to the
   * state file and before they are acked. For tests that kill the agent in that window;
   * absent in production.
   */
  afterStore?: (input: string, seqs: readonly number[]) => void;
  /** Marks found with the records still in the outbox at start (every input's, in order). */
  recoveredMarks?: readonly StoredMark[];
}
