/**
 * Contract suite every ReadingSource runs (one suite, many implementations). `setup` builds a
 * fresh source over a real transport and a `produce` that makes it read at least one value.
 */
import { expect, it } from "vitest";
import { ID_PATTERN } from "@fieldline/firmware-contracts";
import type { ReadingSource } from "../../src/inputs/source";
import { RecordingSink } from "./helpers/sink";
import { until } from "./helpers/tmp";

export interface ContractFixture {
  source: ReadingSource;
  /** Cause the source to read something (write a frame, set a line, ...). */
  produce(): Promise<void>;
}

const handles = () => process.getActiveResourcesInfo().filter((r) => r !== "TTYWrap").length;

export function readingSourceContract(name: string, setup: () => Promise<ContractFixture>): void {
  it(`[contract ${name}] has a stable id and delivers well-formed readings after start`, async () => {
    const { source, produce } = await setup();
    expect(source.id).toMatch(/\S/);
    const id = source.id;
    const sink = new RecordingSink();
    await source.start(sink);
    try {
      const before = sink.all.length;
      await produce();
      await until(() => sink.all.length > before, 5000, `a reading from ${name}`);
      for (const r of sink.all) {
        expect(r.sensor).toMatch(ID_PATTERN);
        expect(Number.isInteger(r.t)).toBe(true);
        expect(Math.abs(r.t - Date.now())).toBeLessThan(3_600_000);
        expect(typeof r.value).toBe("number");
        if (r.q !== undefined) expect([0, 1, 2]).toContain(r.q);
      }
      expect(source.id).toBe(id);
    } finally {
      await source.stop();
    }
  });

  it(`[contract ${name}] stop releases everything, is idempotent, and start works again`, async () => {
    const { source, produce } = await setup();
    const baseline = handles();
    const sink = new RecordingSink();
    await source.start(sink);
    await source.stop();
    await source.stop();
    await until(() => handles() <= baseline, 3000, `${name} to release its handles`);
    const n = sink.all.length;
    await produce().catch(() => undefined);
    await new Promise((r) => setTimeout(r, 100));
    expect(sink.all.length).toBe(n);

    const again = new RecordingSink();
    await source.start(again);
    try {
      await produce();
      await until(() => again.all.length > 0, 5000, `a reading from ${name} after restart`);
    } finally {
      await source.stop();
    }
  });
}
