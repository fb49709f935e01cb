import type { SourceEvent, SourceReading, SourceSink } from "../../../src/inputs/source";

/** A SourceSink that records everything it is given. */
export class RecordingSink implements SourceSink {
  readonly all: SourceReading[] = [];
  readonly events: SourceEvent[] = [];
  readonly rejects: { reason: string; detail?: string }[] = [];

  readings(rs: SourceReading[]): void {
    this.all.push(...rs);
  }
  event(e: SourceEvent): void {
    this.events.push(e);
  }
  rejected(reason: string, detail?: string): void {
    this.rejects.push({ reason, detail });
  }
  of(sensor: string): SourceReading[] {
    return this.all.filter((r) => r.sensor === sensor);
  }
  last(sensor: string): SourceReading | undefined {
    return this.of(sensor).at(-1);
  }
}
