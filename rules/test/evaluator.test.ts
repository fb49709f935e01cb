import { afterEach, describe, expect, it, vi } from "vitest";
import { Evaluator, parseRules, type EvaluatorSnapshot, type Reading } from "../src/index.ts";

const rules = (text: string) => parseRules(text, "t.yaml");
const r = (device: string, sensor: string, t: number, value: number): Reading => ({
  device,
  sensor,
  t,
  value,
});
const brief = (ts: { t: number; kind: string; rule: string; device: string }[]) =>
  ts.map((x) => `${x.t} ${x.kind} ${x.rule} ${x.device}`);

const HOT = rules(`rules:
  - id: hot
    when: { threshold: { sensor: temp, above: 50 } }
  - id: both
    when:
      all:
        - threshold: { sensor: temp, above: 50 }
        - threshold: { sensor: hum, above: 50 }
`);

afterEach(() => vi.restoreAllMocks());

describe("Evaluator", () => {
  it("ignores duplicates (first wins), late and invalid readings, and counts them", () => {
    const ev = new Evaluator(HOT);
    expect(brief(ev.push(r("d", "temp", 1000, 60)))).toEqual(["1000 fired hot d"]);
    expect(ev.push(r("d", "temp", 1000, 10))).toEqual([]); // duplicate: same device, sensor and t
    expect(ev.push(r("d", "temp", 500, 10))).toEqual([]); // late for that sensor
    expect(ev.push(r("d", "temp", 2000, Number.NaN))).toEqual([]);
    expect(
      ev.push({ device: "d", sensor: "temp", t: "x", value: 1 } as unknown as Reading),
    ).toEqual([]);
    // Another sensor at an earlier time is fine for the device, but `both` already saw t=1000.
    expect(ev.push(r("d", "hum", 900, 60))).toEqual([]);
    expect(ev.stats()).toMatchObject({
      readings: 6,
      duplicates: 1,
      late: 1,
      invalid: 2,
      lateForRule: 1,
      transitions: 1,
    });
    expect(brief(ev.push(r("d", "hum", 1100, 60)))).toEqual(["1100 fired both d"]);
    expect(ev.active("d")).toEqual(["hot", "both"]);
    expect(ev.active("nobody")).toEqual([]);
  });

  it("evaluates only rules whose condition names the sensor (one evaluation per matching rule)", () => {
    const many = rules(
      "rules:\n" +
        Array.from(
          { length: 100 },
          (_, i) => `  - id: r${i}\n    when: { threshold: { sensor: s${i % 10}, above: 50 } }\n`,
        ).join(""),
    );
    const ev = new Evaluator(many);
    for (let i = 0; i < 1000; i++) ev.push(r(`d${i % 7}`, `s${i % 10}`, i, i % 100));
    expect(ev.stats().evaluations).toBe(1000 * 10);
  });

  it("never reads the wall clock", () => {
    const clock = () => {
      throw new Error("wall clock read");
    };
    vi.spyOn(Date, "now").mockImplementation(clock);
    vi.spyOn(performance, "now").mockImplementation(clock);
    const ev = new Evaluator(
      rules(`rules:
  - id: hot
    when: { threshold: { sensor: temp, above: 50 } }
    for: 5s
  - id: silent
    when: { stale: { after: 10s } }
`),
    );
    ev.push(r("d", "temp", 0, 60));
    expect(brief(ev.advance(60_000))).toEqual(["5000 fired hot d", "10000 fired silent d"]);
  });

  it("keeps the rate window bounded by the window", () => {
    const ev = new Evaluator(
      rules("rules:\n  - id: climb\n    when: { rate: { sensor: t, window: 10s, above: 1 } }\n"),
    );
    for (let i = 0; i < 10_000; i++) ev.push(r("d", "t", i * 1000, i % 2));
    const leaf = ev.snapshot().devices[0]!.states[0]!.leaves[0] as { ts: number[] };
    expect(leaf.ts.length).toBe(11);
  });

  it("resolves label scopes through the device registry", () => {
    const rs = rules(`rules:
  - id: north
    scope: { labels: { site: north } }
    when: { threshold: { sensor: temp, above: 50 } }
`);
    const labels: Record<string, Record<string, string>> = {
      a: { site: "north" },
      b: { site: "south" },
    };
    const ev = new Evaluator(rs, { devices: (id) => ({ id, labels: labels[id] ?? {} }) });
    expect(
      brief([
        ...ev.push(r("a", "temp", 1, 60)),
        ...ev.push(r("b", "temp", 1, 60)),
        ...ev.push(r("c", "temp", 1, 60)),
      ]),
    ).toEqual(["1 fired north a"]);
  });

  it("watches expected devices from the start and devices added later from when they are added", () => {
    const rs = rules("rules:\n  - id: silent\n    when: { stale: { after: 1m } }\n");
    const ev = new Evaluator(rs, { expect: ["a"], start: 0 });
    expect(brief(ev.advance(30_000))).toEqual([]);
    ev.expect("b");
    ev.expect("a"); // already watched: no change
    expect(brief(ev.advance(100_000))).toEqual(["60000 fired silent a", "90000 fired silent b"]);
    expect(ev.advance(Number.NaN)).toEqual([]);
  });

  it("snapshots to plain JSON and restores to the same state", () => {
    const rs = rules(`rules:
  - id: hot
    when: { threshold: { sensor: temp, above: 50, hysteresis: 5 } }
    for: 10s
  - id: climb
    when: { rate: { sensor: temp, window: 30s, per: min, above: 10 } }
  - id: silent
    when: { stale: { sensor: temp, after: 1m } }
`);
    const ev = new Evaluator(rs);
    ev.push(r("d", "temp", 0, 40));
    ev.push(r("d", "temp", 5000, 60));
    const snap = ev.snapshot();
    const json = JSON.parse(JSON.stringify(snap)) as EvaluatorSnapshot;
    expect(json).toEqual(snap);
    const back = Evaluator.restore(rs, json);
    expect(back.snapshot()).toEqual(snap);
    expect(brief(back.advance(20_000))).toEqual(brief(ev.advance(20_000)));
    expect(back.snapshot()).toEqual(ev.snapshot());
  });

  it("on restore, drops the state of a rule whose condition changed and keeps the others", () => {
    const v1 = rules(`rules:
  - id: a
    when: { threshold: { sensor: temp, above: 50 } }
  - id: b
    when: { threshold: { sensor: temp, above: 50 } }
`);
    const v2 = rules(`rules:
  - id: a
    severity: critical
    when: { threshold: { sensor: temp, above: 50 } }
  - id: b
    when: { threshold: { sensor: temp, above: 70 } }
`);
    const ev = new Evaluator(v1);
    ev.push(r("d", "temp", 0, 60));
    const back = Evaluator.restore(v2, ev.snapshot());
    expect(back.active("d")).toEqual(["a"]);
    // `a` keeps its state (severity is not part of the state), `b` starts afresh.
    expect(brief(back.push(r("d", "temp", 1000, 80)))).toEqual(["1000 fired b d"]);
    expect(() =>
      Evaluator.restore(v1, { ...ev.snapshot(), format: "x" } as unknown as EvaluatorSnapshot),
    ).toThrow(/snapshot format/);
  });

  it("on restore, a new or changed time-based rule starts watching from the snapshot's time", () => {
    const v1 = rules("rules:\n  - id: silent\n    when: { stale: { after: 30m } }\n");
    const v2 = rules(`rules:
  - id: silent
    when: { stale: { after: 20m } }
  - id: temp-silent
    when: { stale: { sensor: temp, after: 10m } }
`);
    const ev = new Evaluator(v1, { expect: ["quiet"], start: 0 });
    ev.push(r("d", "temp", 0, 1));
    ev.push(r("d", "temp", 3_600_000, 1)); // an hour later
    ev.advance(3_600_000); // the live clock ticks: "quiet" has been silent for that hour too
    const back = Evaluator.restore(
      v2,
      JSON.parse(JSON.stringify(ev.snapshot())) as EvaluatorSnapshot,
    );
    // Not at 20 min after the start (long past): 20 and 10 minutes after the snapshot's time.
    expect(brief(back.advance(3_600_000))).toEqual([]);
    expect(brief(back.advance(5_000_000))).toEqual([
      "4200000 fired temp-silent d",
      "4200000 fired temp-silent quiet",
      "4800000 fired silent d",
      "4800000 fired silent quiet",
    ]);
  });

  it("on restore, a new rule starts at each device's own time, not at another device's clock", () => {
    const v1 = rules("rules:\n  - id: hot\n    when: { threshold: { sensor: temp, above: 50 } }\n");
    const v2 = rules(`rules:
  - id: hot
    when: { threshold: { sensor: temp, above: 50 } }
  - id: silent
    when: { stale: { after: 1m } }
`);
    const ev = new Evaluator(v1);
    ev.push(r("good", "temp", 0, 1));
    ev.push(r("ahead", "temp", 0, 1));
    ev.push(r("ahead", "temp", 9_000_000_000, 1)); // a clock far in the future
    ev.push(r("good", "temp", 60_000, 1));
    const back = Evaluator.restore(
      v2,
      JSON.parse(JSON.stringify(ev.snapshot())) as EvaluatorSnapshot,
    );
    // `good` goes silent a minute after its own last reading, not a minute after 9e9.
    expect(brief(back.advance(200_000))).toEqual(["120000 fired silent good"]);
  });

  it("a for-duration completing at the same time as a reading completes first", () => {
    const rs = rules(
      "rules:\n  - id: hot\n    when: { threshold: { sensor: temp, above: 50 } }\n    for: 10s\n",
    );
    const ev = new Evaluator(rs);
    ev.push(r("d", "temp", 0, 60));
    expect(brief(ev.push(r("d", "temp", 10_000, 40)))).toEqual([
      "10000 fired hot d",
      "10000 cleared hot d",
    ]);
  });

  it("forgets a device: its timers stop and its scopes are resolved again when it returns", () => {
    const rs = rules(`rules:
  - id: north-silent
    scope: { labels: { site: north } }
    when: { stale: { after: 1m } }
`);
    const site: Record<string, string> = { a: "north" };
    const ev = new Evaluator(rs, { devices: (id) => ({ id, labels: { site: site[id] ?? "" } }) });
    ev.push(r("a", "temp", 0, 1));
    expect(ev.forget("a")).toBe(true);
    expect(ev.forget("a")).toBe(false);
    expect(ev.advance(120_000)).toEqual([]);
    site.a = "south";
    ev.push(r("a", "temp", 130_000, 1));
    expect(ev.advance(300_000)).toEqual([]); // no longer in scope
    site.a = "north";
    ev.forget("a");
    ev.push(r("a", "temp", 310_000, 1));
    expect(brief(ev.advance(400_000))).toEqual(["370000 fired north-silent a"]);
  });

  it("renders message fields", () => {
    const rs = rules(`rules:
  - id: hot
    severity: critical
    when: { threshold: { sensor: temp, above: 50 } }
    message: "{kind} {rule} {device} {sensor}={value} at {t} ({time}) {severity}"
`);
    const [tr] = new Evaluator(rs).push(r("d", "temp", 0, 60));
    expect(tr!.message).toBe("fired hot d temp=60 at 0 (1970-01-01T00:00:00.000Z) critical");
  });
});
