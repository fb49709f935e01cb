// Per-device event time: reboots that set a device's clock back (new epochs) and scopes
// resolved again when a device's labels change.
import { describe, expect, it } from "vitest";
import {
  Evaluator,
  parseRules,
  replay,
  type EvaluatorSnapshot,
  type Reading,
  type ReplayRecord,
} from "../src/index.ts";

const rules = (text: string) => parseRules(text, "t.yaml");
const r = (device: string, sensor: string, t: number, value: number, boot?: string): Reading =>
  boot === undefined ? { device, sensor, t, value } : { device, sensor, t, value, boot };
const brief = (ts: { t: number; kind: string; rule: string; device: string }[]) =>
  ts.map((x) => `${x.t} ${x.kind} ${x.rule} ${x.device}`);
const roundTrip = (ev: Evaluator, rs: ReturnType<typeof rules>) =>
  Evaluator.restore(rs, JSON.parse(JSON.stringify(ev.snapshot())) as EvaluatorSnapshot);

describe("each device's own clock", () => {
  it("a reading runs what fell due for every rule of its device: ticked or not, the same", () => {
    const rs = rules(
      "rules:\n  - id: hot\n    when: { threshold: { sensor: temp, above: 50 } }\n    for: 10s\n",
    );
    const readings: ReplayRecord[] = [
      { reading: r("d", "temp", 0, 60) },
      { reading: r("d", "hum", 20_000, 50) }, // the device's clock is at 20 s: hot fired at 10 s
      { reading: r("d", "temp", 5000, 40) }, // older than that decision: ignored by hot
    ];
    const ticked = readings.flatMap((x): ReplayRecord[] =>
      "reading" in x ? [{ advance: x.reading.t }, x] : [x],
    );
    expect(brief(replay(rs, readings))).toEqual(["10000 fired hot d"]);
    expect(brief(replay(rs, ticked))).toEqual(["10000 fired hot d"]);
  });
});

describe("reboots: a new epoch of one device's event time", () => {
  const HOT = rules("rules:\n  - id: hot\n    when: { threshold: { sensor: temp, above: 50 } }\n");

  it("without one, a device whose clock went back is ignored; reboot() lets it count again", () => {
    const ev = new Evaluator(HOT);
    expect(brief(ev.push(r("d", "temp", 1_000_000, 60)))).toEqual(["1000000 fired hot d"]);
    expect(ev.push(r("d", "temp", 500, 40))).toEqual([]); // clock reset by a reboot: late
    expect(ev.stats()).toMatchObject({ late: 1, reboots: 0 });
    ev.reboot("d", 500);
    expect(brief(ev.push(r("d", "temp", 500, 40)))).toEqual(["500 cleared hot d"]);
    expect(ev.stats()).toMatchObject({ late: 1, reboots: 1 });
  });

  it("keeps a pending for-wait's remaining time and empties rate windows", () => {
    const rs = rules(`rules:
  - id: hot
    when: { threshold: { sensor: temp, above: 50 } }
    for: 10s
  - id: climb
    when: { rate: { sensor: temp, window: 1m, per: s, above: 1 } }
`);
    const ev = new Evaluator(rs);
    ev.push(r("d", "temp", 100_000, 40));
    expect(brief(ev.push(r("d", "temp", 104_000, 60)))).toEqual(["104000 fired climb d"]);
    // hot waits until 114000: 10 s still to wait at the reboot, so until 15000 now.
    ev.reboot("d", 5000);
    // One reading in the emptied window is no rate: climb clears; hot keeps waiting.
    expect(brief(ev.push(r("d", "temp", 6000, 61)))).toEqual(["6000 cleared climb d"]);
    expect(ev.advance(14_999)).toEqual([]);
    expect(brief(ev.advance(15_000))).toEqual(["15000 fired hot d"]);
    expect(ev.stats()).toMatchObject({ late: 0, lateForRule: 0, reboots: 1 });
  });

  it("changes nothing but the boot id when the clock did not go back", () => {
    const rs = rules("rules:\n  - id: dry\n    when: { stale: { sensor: flow, after: 1m } }\n");
    const ev = new Evaluator(rs);
    ev.push(r("d", "flow", 0, 1, "A"));
    ev.push(r("d", "temp", 50_000, 1, "B")); // rebooted; its clock kept going
    // The silence counts across the reboot: stale a minute after the last flow reading.
    expect(brief(ev.advance(60_000))).toEqual(["60000 fired dry d"]);
    expect(ev.stats().reboots).toBe(1);
  });

  it("ignores readings of the previous boot after a new one began, across a restart", () => {
    const ev = new Evaluator(HOT);
    ev.push(r("d", "temp", 1_000_000, 20, "A"));
    expect(brief(ev.push(r("d", "temp", 10, 60, "B")))).toEqual(["10 fired hot d"]);
    const back = roundTrip(ev, HOT);
    expect(back.push(r("d", "temp", 1_000_010, 20, "A"))).toEqual([]); // straggler of boot A
    expect(back.stats()).toMatchObject({ previousBoot: 1, reboots: 1 });
    expect(brief(back.push(r("d", "temp", 20, 20, "B")))).toEqual(["20 cleared hot d"]);
    // A third boot whose clock went back again: a new epoch; B is now the previous boot.
    expect(brief(back.push(r("d", "temp", 5, 70, "C")))).toEqual(["5 fired hot d"]);
    expect(back.push(r("d", "temp", 30, 20, "B"))).toEqual([]);
    expect(back.stats()).toMatchObject({ previousBoot: 2, reboots: 2, late: 0 });
  });
});

describe("rescope: a device's labels changed", () => {
  const rs = rules(`rules:
  - id: north-hot
    scope: { labels: { site: north } }
    when: { threshold: { sensor: temp, above: 50 } }
  - id: any-hot
    when: { threshold: { sensor: temp, above: 50 } }
  - id: north-silent
    scope: { labels: { site: north } }
    when: { stale: { after: 1m } }
`);

  it("keeps rules still in scope, clears fired rules that left it, starts new ones afresh", () => {
    const labels: Record<string, Record<string, string>> = { a: { site: "north" } };
    const ev = new Evaluator(rs, { devices: (id) => ({ id, labels: labels[id] ?? {} }) });
    expect(brief(ev.push(r("a", "temp", 0, 60)))).toEqual([
      "0 fired north-hot a",
      "0 fired any-hot a",
    ]);
    labels.a = { site: "south" };
    const left = ev.rescope("a");
    expect(brief(left)).toEqual(["0 cleared north-hot a"]);
    expect(left[0]!.cause).toEqual([]);
    expect(ev.active("a")).toEqual(["any-hot"]); // still in scope: state kept
    expect(ev.advance(120_000)).toEqual([]); // north-silent no longer watches a
    labels.a = { site: "north" };
    expect(ev.rescope("a")).toEqual([]);
    // New states watch from the device's time (the tick at 120 s), and readings reach them.
    expect(brief(ev.push(r("a", "temp", 130_000, 60)))).toEqual(["130000 fired north-hot a"]);
    expect(brief(ev.advance(200_000))).toEqual(["190000 fired north-silent a"]);
    expect(ev.rescope("unknown")).toEqual([]);
  });

  it("a device rescoped and then snapshotted restores with the new scopes", () => {
    const labels: Record<string, Record<string, string>> = { a: { site: "south" } };
    const opts = { devices: (id: string) => ({ id, labels: labels[id] ?? {} }) };
    const ev = new Evaluator(rs, opts);
    ev.push(r("a", "temp", 0, 60));
    labels.a = { site: "north" };
    ev.rescope("a");
    const back = Evaluator.restore(
      rs,
      JSON.parse(JSON.stringify(ev.snapshot())) as EvaluatorSnapshot,
      opts,
    );
    expect(back.active("a")).toEqual(["any-hot"]);
    expect(brief(back.push(r("a", "temp", 1000, 61)))).toEqual(["1000 fired north-hot a"]);
  });
});
