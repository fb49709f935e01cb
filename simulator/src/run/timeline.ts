/**
 * The run's event-time order: every sample of every series and the start and end of every
 * fault, merged through one heap. Ties break by kind (faults first) then by fleet position,
 * so the order never depends on anything but the spec.
 */
import type { FaultWindow, InjectionPlan } from "../inject/plan";
import type { Fleet, Series } from "./fleet";
import { Heap } from "./heap";

export type TimelineItem =
  | { kind: "fault"; t: number; order: number; phase: "start" | "end"; fault: FaultWindow }
  | { kind: "sample"; t: number; order: number; series: Series };

interface Cursor {
  series: Series;
  next: () => number | undefined;
}

export class Timeline {
  private readonly heap = new Heap<TimelineItem>((a, b) =>
    a.t !== b.t ? a.t < b.t : a.kind !== b.kind ? a.kind === "fault" : a.order < b.order,
  );
  private readonly cursors: Cursor[] = [];

  constructor(fleet: Fleet, plan: InjectionPlan) {
    for (const series of fleet.series) {
      const custom = series.source.schedule?.(fleet.start);
      let k = 0;
      const next = custom
        ? () => {
            const r = custom.next();
            return r.done || r.value >= fleet.end ? undefined : r.value;
          }
        : () => {
            const t = fleet.start + k++ * series.spec.interval;
            return t < fleet.end ? t : undefined;
          };
      this.cursors.push({ series, next });
      this.advance(series.index);
    }
    plan.faults.forEach((fault, i) => {
      this.heap.push({ kind: "fault", t: fault.label.start, order: 2 * i, phase: "start", fault });
      const instant = fault.spec.type === "garbage" || fault.spec.type === "crcError";
      if (!instant) this.heap.push({ kind: "fault", t: fault.label.end, order: 2 * i + 1, phase: "end", fault });
    });
  }

  private advance(index: number): void {
    const c = this.cursors[index]!;
    const t = c.next();
    if (t !== undefined) this.heap.push({ kind: "sample", t, order: index, series: c.series });
  }

  peekTime(): number | undefined {
    return this.heap.peek()?.t;
  }

  /** The next item; a sample's series is advanced to its next sample. */
  pop(): TimelineItem | undefined {
    const item = this.heap.pop();
    if (item?.kind === "sample") this.advance(item.series.index);
    return item;
  }
}
