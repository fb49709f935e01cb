/**
 * One scheduler per bus: a single loop that issues one request at a time, so two requests
 * are never on a shared RS-485 bus at once. When several jobs are due, the highest priority
 * goes first (safety before normal before low), then the one due longest. After each
 * transaction the bus is left silent for `gapMs` (RTU t3.5) before the next request.
 * A job that falls more than a period behind skips forward and counts an overrun
 * (the bus is over-subscribed; safety jobs still go first). Jobs of a unit that stopped
 * answering are deferred by the caller (`defer`), so a dead device cannot hold the bus.
 */
export interface ScheduledJob {
  priority: number;
  everyMs: number;
}

interface Slot<J> {
  job: J;
  next: number;
}

export interface SchedulerOptions {
  gapMs: number;
  /** Monotonic ms. */
  now?: () => number;
}

export class BusScheduler<J extends ScheduledJob> {
  private readonly slots: Slot<J>[];
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;
  private busy = false;
  readonly counters = { runs: 0, overruns: 0 };

  constructor(
    jobs: J[],
    private readonly opts: SchedulerOptions,
    private readonly exec: (job: J) => Promise<void>,
  ) {
    this.now = opts.now ?? (() => performance.now());
    this.slots = jobs.map((job) => ({ job, next: 0 }));
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    const t = this.now();
    for (const s of this.slots) s.next = t;
    this.loop = this.run();
  }

  /** Resolves once the transaction in flight (if any) has finished. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
    this.loop = undefined;
  }

  /** Push `job`'s next run to at least `ms` from now (e.g. a unit that stopped answering). */
  defer(job: J, ms: number): void {
    const slot = this.slots.find((s) => s.job === job);
    if (slot) slot.next = Math.max(slot.next, this.now() + ms);
  }

  /** The job to run now, or the ms to wait until one is due. */
  pick(now: number): Slot<J> | number {
    let best: Slot<J> | undefined;
    let wait = Infinity;
    for (const s of this.slots) {
      if (s.next > now) {
        wait = Math.min(wait, s.next - now);
        continue;
      }
      if (
        !best ||
        s.job.priority < best.job.priority ||
        (s.job.priority === best.job.priority && s.next < best.next)
      )
        best = s;
    }
    return best ?? wait;
  }

  private async run(): Promise<void> {
    while (this.running) {
      const now = this.now();
      const p = this.pick(now);
      if (typeof p === "number") {
        await this.sleep(p);
        continue;
      }
      p.next += p.job.everyMs;
      if (p.next < now) {
        this.counters.overruns++;
        p.next = now + p.job.everyMs;
      }
      if (this.busy) throw new Error("bus scheduler re-entered"); // cannot happen: one loop per bus
      this.busy = true;
      try {
        await this.exec(p.job);
      } finally {
        this.busy = false;
      }
      this.counters.runs++;
      // The bus stays silent for the gap, measured by the monotonic clock (a timer alone can
      // fire early); stop() still interrupts it.
      const quietUntil = this.now() + this.opts.gapMs;
      while (this.running && this.now() < quietUntil)
        await this.sleep(Math.ceil(quietUntil - this.now()));
    }
  }

  private sleep(ms: number): Promise<void> {
    if (!this.running || ms === Infinity)
      return this.running ? new Promise((r) => (this.wake = r)) : Promise.resolve();
    return new Promise((resolve) => {
      this.wake = () => {
        if (this.timer) clearTimeout(this.timer);
        this.timer = undefined;
        resolve();
      };
      this.timer = setTimeout(this.wake, ms);
    });
  }
}
