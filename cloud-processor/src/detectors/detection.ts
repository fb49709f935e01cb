/**
 * The scoring role as the pipeline sees it: score a message's readings of one device, in
 * order; checkpoint; start/stop. Two implementations: InlineDetection (on the event loop, in
 * slices) and WorkerDetection (a worker thread owning every detector, so scoring never
 * blocks decoding, rules and alert publishing, and uses a second core).
 */
export interface ScoreBatch {
  device: string;
  sensors: string[];
  t: Float64Array;
  values: Float64Array;
}

export interface Detection {
  readonly name: string;
  /** Loads the checkpoint if any; resolves to the number of series restored. */
  start(): Promise<number>;
  /** Scores in submission order; resolves to one score per reading. */
  score(batch: ScoreBatch): Promise<Float64Array>;
  /** Readings submitted and not yet scored. */
  readonly pending: number;
  /** Series with a detector (as of the last answer). */
  readonly series: number;
  checkpoint(): Promise<void>;
  /** Scores what is queued, checkpoints, releases the thread. */
  stop(): Promise<void>;
}
