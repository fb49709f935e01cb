/**
 * Detection off the alert path. Scoring costs far more than decoding or rules (the default
 * detector is ~50 us a point here), so a message's readings are scored in slices of
 * `slice` readings, yielding to the event loop (setImmediate) between slices: a message that
 * arrives meanwhile is decoded and its rules run (alerts published) without waiting for the
 * backlog. Jobs finish in FIFO order, so the sink still sees messages in arrival order.
 */
export interface DetectJob {
  /** Number of readings; `score(i)` is called for each i in order. */
  n: number;
  score(i: number): void;
  done(): void;
}

export class DetectQueue {
  private readonly jobs: DetectJob[] = [];
  private head = 0;
  private pos = 0;
  private scheduled = false;
  private backlog = 0;

  constructor(
    private readonly slice = 64,
    /** Called whenever the backlog shrinks (to release backpressure). */
    private readonly drained: () => void = () => {},
  ) {}

  /** Readings waiting to be scored. */
  get pending(): number {
    return this.backlog;
  }

  push(job: DetectJob): void {
    if (job.n === 0) {
      if (this.jobs.length - this.head === 0) return job.done();
    }
    this.jobs.push(job);
    this.backlog += job.n;
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.run());
  }

  private run(): void {
    this.scheduled = false;
    let budget = this.slice;
    while (this.head < this.jobs.length && budget > 0) {
      const job = this.jobs[this.head]!;
      while (this.pos < job.n && budget > 0) {
        job.score(this.pos++);
        budget--;
        this.backlog--;
      }
      if (this.pos >= job.n) {
        this.head++;
        this.pos = 0;
        job.done();
      }
    }
    if (this.head > 1024 && this.head * 2 > this.jobs.length) {
      this.jobs.splice(0, this.head);
      this.head = 0;
    }
    this.drained();
    if (this.head < this.jobs.length) this.schedule();
  }

  /** Scores everything left synchronously (at stop). */
  flush(): void {
    while (this.head < this.jobs.length) {
      const job = this.jobs[this.head++]!;
      while (this.pos < job.n) job.score(this.pos++);
      this.pos = 0;
      job.done();
    }
    this.jobs.length = 0;
    this.head = 0;
    this.backlog = 0;
  }
}
