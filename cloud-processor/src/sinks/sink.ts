/**
 * The storage role. A sink writes batches of points; `write` resolves only once the points
 * are durable (fsync'd or acknowledged by the database), because the processor acknowledges
 * MQTT messages on that promise. Writes are idempotent: the same series and timestamp
 * overwrite, so a redelivered message never doubles a point.
 */

/** One point: a measurement, its tags (series identity), numeric fields and a ms timestamp. */
export interface Point {
  measurement: string;
  tags: Record<string, string>;
  fields: Record<string, number>;
  /** Event time, integer milliseconds since the Unix epoch. */
  t: number;
  /**
   * Optional: measurement and tags already in line protocol (see `seriesKey`), for producers
   * that emit many points of one series; saves re-escaping them per point.
   */
  series?: string;
}

/**
 * Points already in line protocol (ms precision), one per line, each ending in "\n": every
 * backend takes line protocol, and a string or buffer per message holds far less memory (and
 * gives the garbage collector far less to trace) than an object per point while writes are
 * pending. `toBatch(points)` (line-protocol.ts) makes one from Points as text; the pipeline
 * builds its batches as UTF-8 bytes (LineWriter), which go to a file or an HTTP body as they are.
 */
export interface LineBatch {
  lines: string | Uint8Array;
  points: number;
}

/** The batch's line protocol as text. */
export function linesText(batch: LineBatch): string {
  const l = batch.lines;
  return typeof l === "string" ? l : Buffer.from(l.buffer, l.byteOffset, l.byteLength).toString("utf8");
}

/**
 * Several batches as one: text when they all are, else bytes. Byte batches adjacent in memory
 * (LineWriter hands out consecutive views of one slab) join without a copy.
 */
export function joinBatches(batches: readonly LineBatch[]): LineBatch {
  if (batches.length === 1) return batches[0]!;
  let points = 0;
  let text = true;
  for (const b of batches) {
    points += b.points;
    if (typeof b.lines !== "string") text = false;
  }
  if (text) return { lines: batches.map((b) => b.lines).join(""), points };
  const parts: Uint8Array[] = [];
  let run: Uint8Array | undefined;
  for (const b of batches) {
    const bytes = typeof b.lines === "string" ? Buffer.from(b.lines, "utf8") : b.lines;
    if (run && run.buffer === bytes.buffer && run.byteOffset + run.byteLength === bytes.byteOffset) {
      run = new Uint8Array(run.buffer, run.byteOffset, run.byteLength + bytes.byteLength);
    } else {
      if (run) parts.push(run);
      run = bytes;
    }
  }
  parts.push(run!);
  return { lines: parts.length === 1 ? parts[0]! : Buffer.concat(parts), points };
}

export interface Sink {
  readonly name: string;
  start(): Promise<void>;
  /** Resolves when every point is durable; rejects with a SinkError otherwise. */
  write(batch: LineBatch): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A failed write. `retryable` errors (connection refused, 5xx, 429, timeouts) are retried with
 * backoff; the others (a 4xx for a malformed batch) would fail again, so the batch is set aside.
 */
export class SinkError extends Error {
  override name = "SinkError";
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

/**
 * Classifies an HTTP status the way both InfluxDB write APIs use them: 400 (bad line
 * protocol, field type conflict), 413 and 422 say the batch itself is bad and would fail
 * again. Everything else is retried: 5xx and 429 are transient, and 401/403/404 (token,
 * permissions, missing database or bucket) are configuration an operator fixes, after which
 * the buffered points go in; until then health is red and ingest pauses at the bound.
 */
export function retryableStatus(status: number): boolean {
  return status !== 400 && status !== 413 && status !== 422;
}
