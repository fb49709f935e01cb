/** A ReadingSource the test drives directly (the agent's sink is the thing under test). */
import type { ReadingSource, SourceReading, SourceSink } from "../../src/inputs/source";

export class PushSource implements ReadingSource {
  readonly id = "push";
  private sink: SourceSink | undefined;

  async start(sink: SourceSink): Promise<void> {
    this.sink = sink;
  }

  async stop(): Promise<void> {
    this.sink = undefined;
  }

  push(...rs: SourceReading[]): void {
    this.sink?.readings(rs);
  }
}
