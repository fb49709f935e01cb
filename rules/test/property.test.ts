// Property tests over random rule sets and random telemetry (fast-check):
// - the incremental evaluator agrees with the naive full-recompute reference;
// - a restart from a JSON snapshot at any point changes nothing;
// - how often event time is ticked changes only when transitions are emitted, not which,
//   while ticks never pass a reading still to come; ticking one device to each of its
//   readings changes nothing, whatever the order of its readings across sensors;
// - one device's readings never change another device's transitions (its own clock);
// - per (rule, device), transitions alternate fired / cleared and never go back in time.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import {
  parseRules,
  replay,
  type ReplayRecord,
  type RuleSet,
  type Transition,
} from "../src/index.ts";
import { NaiveEvaluator } from "./naive.ts";

const SENSORS = ["a", "b"];
const DEVICES = ["d0", "d1", "d2"];

const level = fc.integer({ min: 20, max: 80 });
const band = fc
  .tuple(fc.integer({ min: 10, max: 50 }), fc.integer({ min: 0, max: 40 }))
  .map(([lo, w]) => [lo, lo + w + 2]);
const comparator = fc.oneof(
  fc.record({ above: level, hysteresis: fc.constantFrom(0, 5) }),
  fc.record({ below: level, hysteresis: fc.constantFrom(0, 5) }),
  fc.record({ outside: band, hysteresis: fc.constant(1) }),
  fc.record({ inside: band, hysteresis: fc.constantFrom(0, 3) }),
);
const sensor = fc.constantFrom(...SENSORS);
const threshold = fc.record({
  threshold: fc.tuple(sensor, comparator).map(([s, c]) => ({ sensor: s, ...c })),
});
const rate = fc.record({
  rate: fc
    .tuple(
      sensor,
      fc.constantFrom("5s", "20s", "1m"),
      fc.oneof(
        fc.record({ above: fc.integer({ min: 1, max: 20 }) }),
        fc.record({ below: fc.integer({ min: -20, max: -1 }) }),
      ),
    )
    .map(([s, w, c]) => ({ sensor: s, window: w, per: "s", ...c })),
});
const stale = fc.record({
  stale: fc.oneof(
    fc.record({ sensor, after: fc.constantFrom("2s", "4s") }),
    fc.record({ after: fc.constantFrom("3s") }),
  ),
});
const leaf = fc.oneof(threshold, threshold, rate, stale);
const condition = fc.oneof(
  { weight: 3, arbitrary: leaf },
  { weight: 1, arbitrary: fc.record({ all: fc.array(leaf, { minLength: 1, maxLength: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ any: fc.array(leaf, { minLength: 1, maxLength: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ not: leaf }) },
);
const ruleDoc = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      when: condition,
      for: fc.constantFrom(0, 1000, 2500),
      clear_for: fc.constantFrom(0, 1000, 2500),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      when: fc.record({ deadband: fc.record({ sensor, band: fc.constantFrom(0, 5, 10) }) }),
    }),
  },
);
const scope = fc.option(fc.record({ devices: fc.constantFrom(["d0", "d1"], ["d*"], ["d2"]) }), {
  nil: undefined,
});
const ruleSet = fc
  .array(fc.tuple(ruleDoc, scope), { minLength: 1, maxLength: 4 })
  .map((docs): RuleSet => {
    const rules = docs.map(([d, s], i) => ({ id: `r${i}`, ...(s ? { scope: s } : {}), ...d }));
    return parseRules(stringify({ rules }), "gen.yaml");
  });

/** Readings with non-decreasing times overall (duplicates included), and occasional ticks. */
const ordered = fc
  .array(
    fc.record({
      device: fc.constantFrom(...DEVICES),
      sensor,
      dt: fc.constantFrom(0, 0, 500, 1000, 1500, 4000),
      value: fc.integer({ min: 0, max: 100 }),
      tick: fc.boolean(),
    }),
    { maxLength: 60 },
  )
  .map((xs) => {
    let t = 0;
    const recs: ReplayRecord[] = [];
    for (const x of xs) {
      t += x.dt;
      if (x.tick) recs.push({ advance: t });
      recs.push({ reading: { device: x.device, sensor: x.sensor, t, value: x.value } });
    }
    return { recs, end: t + 10_000 };
  });

/** Any order: times jump back and forth, readings repeat, boot ids change (reboots). */
const shuffled = fc.array(
  fc.oneof(
    {
      weight: 8,
      arbitrary: fc
        .record({
          device: fc.constantFrom(...DEVICES),
          sensor,
          t: fc.integer({ min: 0, max: 40 }).map((x) => x * 500),
          value: fc.integer({ min: 0, max: 100 }),
          boot: fc.constantFrom(undefined, undefined, "A", "B"),
        })
        .map(({ boot, ...r }): ReplayRecord => ({ reading: boot ? { ...r, boot } : r })),
    },
    {
      weight: 1,
      arbitrary: fc.integer({ min: 0, max: 40 }).map((x): ReplayRecord => ({ advance: x * 500 })),
    },
  ),
  { maxLength: 60 },
);

const keyOf = new Map<string, number>();
function canonical(rules: RuleSet, ts: Transition[]): Transition[] {
  rules.rules.forEach((r, i) => keyOf.set(r.id, i));
  return JSON.parse(
    JSON.stringify(
      [...ts].sort(
        (a, b) =>
          a.t - b.t ||
          keyOf.get(a.rule)! - keyOf.get(b.rule)! ||
          (a.device < b.device ? -1 : a.device > b.device ? 1 : 0),
      ),
    ),
  ) as Transition[];
}

function runNaive(rules: RuleSet, recs: ReplayRecord[], end: number): Transition[] {
  const n = new NaiveEvaluator(rules);
  const out: Transition[] = [];
  for (const r of recs) {
    if ("reading" in r) out.push(...n.push(r.reading));
    else if ("advance" in r) out.push(...n.advance(r.advance));
  }
  out.push(...n.advance(end));
  return out;
}

const RUNS = { numRuns: 300 };
const json = (ts: Transition[]) => JSON.parse(JSON.stringify(ts)) as Transition[];

describe("properties", () => {
  it("agrees with the naive full-recompute reference", () => {
    fc.assert(
      fc.property(ruleSet, ordered, (rules, { recs, end }) => {
        const ours = canonical(rules, replay(rules, recs, { until: end }));
        const ref = canonical(rules, runNaive(rules, recs, end));
        expect(ours).toEqual(ref);
      }),
      RUNS,
    );
  });

  it("a restart from a JSON snapshot at any point gives the same transitions", () => {
    fc.assert(
      fc.property(ruleSet, shuffled, fc.nat(), (rules, recs, at) => {
        const cut = recs.length === 0 ? 0 : at % (recs.length + 1);
        const straight = replay(rules, recs, { until: 30_000 });
        const restarted = replay(
          rules,
          [...recs.slice(0, cut), { restart: true }, ...recs.slice(cut)],
          { until: 30_000 },
        );
        expect(JSON.parse(JSON.stringify(restarted))).toEqual(JSON.parse(JSON.stringify(straight)));
      }),
      RUNS,
    );
  });

  it("ticking event time more or less often changes only the emission order", () => {
    fc.assert(
      fc.property(ruleSet, ordered, (rules, { recs, end }) => {
        const ticked = replay(rules, recs, { until: end });
        const readingsOnly = recs.filter((r) => "reading" in r);
        const everyReading = readingsOnly.flatMap((r): ReplayRecord[] =>
          "reading" in r ? [{ advance: r.reading.t }, r] : [r],
        );
        const want = canonical(rules, ticked);
        expect(canonical(rules, replay(rules, readingsOnly, { until: end }))).toEqual(want);
        expect(canonical(rules, replay(rules, everyReading, { until: end }))).toEqual(want);
      }),
      RUNS,
    );
  });

  it("one device's readings in any order across its sensors: ticking it to each reading changes nothing", () => {
    fc.assert(
      fc.property(ruleSet, shuffled, (rules, recs) => {
        const one = recs.flatMap((r): ReplayRecord[] =>
          "reading" in r ? [{ reading: { ...r.reading, device: "d0", boot: undefined } }] : [],
        );
        const ticked = one.flatMap((r): ReplayRecord[] =>
          "reading" in r ? [{ advance: r.reading.t }, r] : [r],
        );
        const o = { start: 0, until: 30_000 };
        expect(canonical(rules, replay(rules, ticked, o))).toEqual(
          canonical(rules, replay(rules, one, o)),
        );
      }),
      RUNS,
    );
  });

  it("one device's readings never change another device's transitions", () => {
    fc.assert(
      fc.property(ruleSet, shuffled, fc.constantFrom(...DEVICES), (rules, recs, device) => {
        const o = { start: 0, until: 30_000 };
        const mine = (ts: Transition[]) => json(ts.filter((x) => x.device === device));
        const alone = recs.filter((r) => !("reading" in r) || r.reading.device === device);
        expect(mine(replay(rules, recs, o))).toEqual(mine(replay(rules, alone, o)));
      }),
      RUNS,
    );
  });

  it("per rule and device, transitions alternate fired/cleared in time order (within a boot)", () => {
    fc.assert(
      fc.property(ruleSet, shuffled, (rules, recs) => {
        // A device whose boot id changed may have started a new epoch with an earlier clock.
        const boots = new Map<string, Set<string>>();
        for (const x of recs)
          if ("reading" in x && x.reading.boot !== undefined)
            boots.set(
              x.reading.device,
              (boots.get(x.reading.device) ?? new Set()).add(x.reading.boot),
            );
        const last = new Map<string, Transition>();
        for (const tr of replay(rules, recs, { until: 30_000 })) {
          const rule = rules.rules.find((r) => r.id === tr.rule)!;
          const k = `${tr.rule}/${tr.device}`;
          const prev = last.get(k);
          if (prev && (boots.get(tr.device)?.size ?? 0) < 2)
            expect(tr.t).toBeGreaterThanOrEqual(prev.t);
          if (rule.when.kind === "deadband") expect(tr.kind).toBe("fired");
          else expect(tr.kind).toBe(prev?.kind === "fired" ? "cleared" : "fired");
          last.set(k, tr);
        }
      }),
      RUNS,
    );
  });
});
