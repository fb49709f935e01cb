import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultDetector } from "../../src/detection/index.ts";
import type { Detection, ScoreBatch } from "../../src/detectors/detection.ts";
import { InlineDetection } from "../../src/detectors/inline.ts";
import { toWire, WorkerDetection } from "../../src/detectors/worker.ts";
import { tempDir } from "../helpers/servers.ts";

const log = pino({ level: "silent" });

function batch(device: string, from: number, n: number): ScoreBatch {
  const t = new Float64Array(n);
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    t[i] = 1_700_000_000_000 + (from + i) * 60_000;
    values[i] = 10 + Math.sin((from + i) / 10) + (from + i === 700 ? 50 : 0);
  }
  return { device, sensors: Array.from({ length: n }, () => "temp"), t, values };
}

/** Same inputs through both implementations and a plain detector: same scores, in order. */
describe.each([
  ["inline", (p: string) => new InlineDetection(defaultDetector, p, log)],
  ["worker", (p: string) => new WorkerDetection(p, "silent")],
] as const)("Detection (%s)", (_name, make) => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  beforeAll(async () => {
    dir = await tempDir();
  });
  afterAll(() => dir.remove());

  it("scores like the detector itself, answers in submission order, and restarts warm from its checkpoint", async () => {
    const path = join(dir.path, "det.json");
    const ref = defaultDetector.create();
    const expected: number[] = [];
    for (let k = 0; k < 10; k++) {
      const b = batch("d1", k * 100, 100);
      for (let i = 0; i < 100; i++) expected.push(ref.score(b.t[i]!, b.values[i]!));
    }
    const d: Detection = make(path);
    expect(await d.start()).toBe(0);
    const order: number[] = [];
    const first = await Promise.all(
      Array.from({ length: 5 }, (_, k) => d.score(batch("d1", k * 100, 100)).then((s) => (order.push(k), [...s]))),
    );
    expect(order).toEqual([0, 1, 2, 3, 4]);
    await d.stop();
    expect(JSON.parse(await readFile(path, "utf8")).series).toBeDefined();

    const again: Detection = make(path);
    expect(await again.start()).toBe(1);
    const rest = await Promise.all(Array.from({ length: 5 }, (_, k) => again.score(batch("d1", (k + 5) * 100, 100)).then((s) => [...s])));
    await again.stop();
    expect([...first.flat(), ...rest.flat()]).toEqual(expected);
  });

  it("keeps series apart when a message mixes sensors", async () => {
    const names = ["a", "b", "c"];
    const refs = new Map(names.map((n) => [n, defaultDetector.create()]));
    const d: Detection = make(join(dir.path, "mixed.json"));
    await d.start();
    const got: number[] = [];
    const expected: number[] = [];
    for (let k = 0; k < 6; k++) {
      const n = 90;
      const t = new Float64Array(n);
      const values = new Float64Array(n);
      const sensors: string[] = [];
      for (let i = 0; i < n; i++) {
        const s = names[(i * 7 + k) % 3]!;
        sensors.push(s);
        t[i] = 1_700_000_000_000 + (k * n + i) * 1000;
        values[i] = (s === "a" ? 1 : s === "b" ? 100 : -5) + Math.sin((k * n + i) / 9);
        expected.push(refs.get(s)!.score(t[i]!, values[i]!));
      }
      got.push(...(await d.score({ device: "d9", sensors, t, values })));
    }
    await d.stop();
    expect(got).toEqual(expected);
  });
});

describe("toWire", () => {
  it("gives each reading the index of its sensor among the distinct names, in first-seen order", () => {
    expect(toWire([])).toEqual({ names: [], sensor: new Uint16Array(0) });
    const w = toWire(["x", "x", "y", "x", "z", "y"]);
    expect(w.names).toEqual(["x", "y", "z"]);
    expect([...w.sensor]).toEqual([0, 0, 1, 0, 2, 1]);
    // Past 16 names the lookup switches to a map: same answer.
    const many = Array.from({ length: 300 }, (_, i) => `s${(i * 37) % 100}`);
    const m = toWire(many);
    expect(m.names).toHaveLength(100);
    expect(many.every((s, i) => m.names[m.sensor[i]!] === s)).toBe(true);
  });
});
