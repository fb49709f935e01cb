/**
 * The Sink contract, run against every implementation (like aedes-persistence's abstract.js):
 * points written are read back with the same count, tags, timestamps and values; writing the
 * same points again does not double them; a write the backend cannot take rejects with a
 * retryable SinkError, and once the backend is back every point is there.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toBatch } from "../../src/sinks/line-protocol.ts";
import { joinBatches, SinkError, type Point, type Sink } from "../../src/sinks/sink.ts";

export interface StoredPoint {
  device: string;
  sensor: string;
  t: number;
  value: number;
}

export interface SinkHarness {
  sink: Sink;
  /** Every stored telemetry point (one per series and timestamp). */
  read(): Promise<StoredPoint[]>;
  /** Relative tolerance of stored values (VictoriaMetrics keeps ~12 significant digits). */
  tolerance: number;
  outage?: { down(): Promise<void>; up(): Promise<void> };
  close(): Promise<void>;
}

export function points(device: string, n: number, t0 = 1_700_000_000_000): Point[] {
  return Array.from({ length: n }, (_, i) => ({
    measurement: "telemetry",
    tags: { site: "s1", device, sensor: i % 2 ? "temp" : "hum" },
    fields: { value: i % 2 ? 20 + i / 7 : -1.25e-3 * i },
    t: t0 + i * 1000,
  }));
}

function expectSame(got: StoredPoint[], want: Point[], tol: number): void {
  expect(got.length).toBe(want.length);
  const byKey = new Map(got.map((p) => [`${p.device}/${p.sensor}/${p.t}`, p.value]));
  for (const w of want) {
    const v = byKey.get(`${w.tags.device}/${w.tags.sensor}/${w.t}`);
    expect(v, `${w.tags.device}/${w.tags.sensor}@${w.t}`).toBeDefined();
    const exp = w.fields.value!;
    if (tol === 0) expect(v! - exp).toBe(0);
    else expect(Math.abs(v! - exp)).toBeLessThanOrEqual(Math.abs(exp) * tol + 1e-300);
  }
}

export function sinkContract(name: string, setup: () => Promise<SinkHarness>): void {
  describe(`Sink contract: ${name}`, () => {
    let h: SinkHarness;
    beforeAll(async () => {
      h = await setup();
      await h.sink.start();
    });
    afterAll(async () => {
      await h.sink.stop();
      await h.close();
    });

    it("reads back every point written, with tags, ms timestamps and values", async () => {
      const ps = points("dev-a", 200);
      await h.sink.write(toBatch(ps.slice(0, 150)));
      await h.sink.write(toBatch(ps.slice(150)));
      const got = (await h.read()).filter((p) => p.device === "dev-a");
      expectSame(got, ps, h.tolerance);
    });

    it("is idempotent: the same series and timestamp overwrite", async () => {
      const ps = points("dev-b", 50);
      await h.sink.write(toBatch(ps));
      await h.sink.write(toBatch(ps));
      const got = (await h.read()).filter((p) => p.device === "dev-b");
      expectSame(got, ps, h.tolerance);
    });

    it("takes batches as UTF-8 bytes too (how the pipeline builds them), alone or joined with text", async () => {
      const ps = points("dev-d", 40);
      const bytes = (from: Point[]) => ({ lines: new TextEncoder().encode(toBatch(from).lines as string), points: from.length });
      await h.sink.write(bytes(ps.slice(0, 10)));
      await h.sink.write(joinBatches([bytes(ps.slice(10, 20)), toBatch(ps.slice(20, 30)), bytes(ps.slice(30))]));
      const got = (await h.read()).filter((p) => p.device === "dev-d");
      expectSame(got, ps, h.tolerance);
    });

    it("an empty write is a no-op", async () => {
      await h.sink.write(toBatch([]));
    });

    it("rejects with a retryable SinkError while the backend is down, and loses nothing once it is back", async () => {
      if (!h.outage) {
        // The file sink has no server to lose; its outage is a stopped sink.
        await h.sink.stop();
        const err = await h.sink.write(toBatch(points("dev-c", 3))).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(SinkError);
        expect((err as SinkError).retryable).toBe(true);
        await h.sink.start();
      } else {
        await h.outage.down();
        const err = await h.sink.write(toBatch(points("dev-c", 3))).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(SinkError);
        expect((err as SinkError).retryable).toBe(true);
        await h.outage.up();
      }
      const ps = points("dev-c", 30);
      await h.sink.write(toBatch(ps));
      const got = (await h.read()).filter((p) => p.device === "dev-c");
      expectSame(got, ps, h.tolerance);
    });
  });
}
