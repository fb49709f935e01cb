// Golden cases: test/cases/<case>/{rules.yaml, input.jsonl, expected.jsonl}, read by one loop.
// input.jsonl holds readings and directives ({"advance"}, {"restart"}, {"devices"}, {"expect"});
// expected.jsonl holds the transitions, one JSON object per line, in emission order.
// Each case also runs again with a restart from a JSON snapshot after every record, and
// must give the same transitions (snapshot/restore equivalence).
// UPDATE_GOLDEN=1 rewrites expected.jsonl from the current output (review the diff!).
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  parseRecords,
  parseRules,
  replay,
  type ReplayRecord,
  type Transition,
} from "../src/index.ts";

const casesDir = join(import.meta.dirname, "cases");
const cases = readdirSync(casesDir).filter((d) => existsSync(join(casesDir, d, "rules.yaml")));

function load(name: string) {
  const dir = join(casesDir, name);
  const rules = parseRules(readFileSync(join(dir, "rules.yaml"), "utf8"), `${name}/rules.yaml`);
  const { records } = parseRecords(readFileSync(join(dir, "input.jsonl"), "utf8"), "jsonl");
  const expectedPath = join(dir, "expected.jsonl");
  const expected = existsSync(expectedPath)
    ? readFileSync(expectedPath, "utf8")
        .split("\n")
        .filter((l) => l.trim() !== "")
        .map((l) => JSON.parse(l) as Transition)
    : undefined;
  return { dir, rules, records, expected, expectedPath };
}

const json = (ts: Transition[]) => JSON.parse(JSON.stringify(ts)) as Transition[];

describe("golden cases", () => {
  it("has a case for every rule kind and edge", () => {
    for (const c of [
      "threshold-above",
      "threshold-below",
      "threshold-outside",
      "threshold-inside",
      "flapping-no-hysteresis",
      "flapping-hysteresis",
      "for-duration",
      "clear-for",
      "rate-per-second",
      "rate-per-minute",
      "stale",
      "never-heard",
      "deadband",
      "combination",
      "combination-stale",
      "data-gap",
      "restart-from-snapshot",
      "out-of-order-duplicates",
      "scope-glob-labels",
      "actions-latched-gpio",
      "clock-jump",
      "reboot-clock-back",
    ])
      expect(cases).toContain(c);
  });

  for (const name of cases) {
    it(name, () => {
      const { rules, records, expected, expectedPath } = load(name);
      const got = json(replay(rules, records));
      if (process.env.UPDATE_GOLDEN === "1") {
        writeFileSync(
          expectedPath,
          got.map((t) => JSON.stringify(t)).join("\n") + (got.length ? "\n" : ""),
        );
        return;
      }
      expect(expected, `${name}/expected.jsonl is missing`).toBeDefined();
      expect(got).toEqual(expected);
    });

    it(`${name}: same transitions with a restart after any record`, () => {
      const { rules, records } = load(name);
      const straight = json(replay(rules, records));
      for (let cut = 0; cut <= records.length; cut++) {
        const withRestart: ReplayRecord[] = [
          ...records.slice(0, cut),
          { restart: true },
          ...records.slice(cut),
        ];
        // A restart before the devices directive would start the evaluator too early.
        if (records.slice(cut).some((r) => "devices" in r)) continue;
        expect(json(replay(rules, withRestart)), `restart after record ${cut}`).toEqual(straight);
      }
    });
  }
});
