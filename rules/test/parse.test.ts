import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  compileRules,
  loadRulesFile,
  parseDuration,
  parseRules,
  RulesError,
  type RulesIssue,
} from "../src/index.ts";

function issuesOf(text: string): RulesIssue[] {
  try {
    parseRules(text, "f.yaml");
  } catch (e) {
    expect(e).toBeInstanceOf(RulesError);
    return (e as RulesError).issues;
  }
  throw new Error("expected a RulesError");
}
const brief = (is: RulesIssue[]) => is.map((i) => `${i.line}:${i.column} ${i.path}: ${i.message}`);

describe("parseRules", () => {
  it("compiles a rule with defaults: warning severity, an alert, derived clear actions", () => {
    const rs = parseRules(
      `rules:
  - id: hot
    when: { threshold: { sensor: temp, above: 90, hysteresis: 5 } }
    for: 1m30s
`,
      "a.yaml",
    );
    expect(rs.rules).toHaveLength(1);
    expect(rs.rules[0]).toMatchObject({
      id: "hot",
      enabled: true,
      severity: "warning",
      scope: {},
      forMs: 90_000,
      clearForMs: 0,
      actions: [{ type: "alert" }],
      clearActions: [{ type: "alert" }],
      when: { kind: "threshold", sensor: "temp", cmp: { op: "above", level: 90, clear: 85 } },
      source: { file: "a.yaml", line: 2, column: 5 },
    });
  });

  it("reports every error at once with line and column", () => {
    const text = `version: 1
rules:
  - id: hot
    when:
      threshold: { sensor: temp, above: 90 }
  - id: hot
    severity: urgent
    when:
      threshold: { sensor: temp, above: 90, below: 3 }
    for: 3 parsecs
    extra: 1
  - id: r
    when:
      all:
        - rate: { sensor: p, window: 1m, per: min, outside: [5, 1] }
        - stale: { after: 0 }
        - bogus: {}
    actions: [alert, { gpio: { line: 17, value: 2 } }, { shout: loud }]
`;
    expect(brief(issuesOf(text))).toEqual([
      '6:9 rules[1].id: duplicate rule id "hot" (first defined at line 3)',
      '7:15 rules[1].severity: Invalid option: expected one of "info"|"warning"|"critical"',
      "9:18 rules[1].when.threshold: give only one of above, below, outside, inside (found above, below)",
      '10:10 rules[1].for: invalid duration "3 parsecs": use e.g. 500ms, 30s, 5m, 1h, 1d',
      '11:5 rules[1].extra: unknown field "extra"',
      "15:61 rules[2].when.all[0].rate.outside: band low 5 is greater than high 1",
      "16:27 rules[2].when.all[1].stale.after: after must be longer than 0",
      '17:11 rules[2].when.all[2].bogus: unknown field "bogus"',
      "17:11 rules[2].when.all[2]: expected one of threshold, rate, stale, deadband, all, any, not",
      "18:49 rules[2].actions[1].gpio.value: expected 0 or 1",
      "18:56 rules[2].actions[2]: expected an action: alert, {gpio: {line, value, latch}} or {command: {name, args}}",
    ]);
  });

  it("reports an unresolved alias where it stands, and every other error too", () => {
    const text = `rules:
  - id: a
    when: *nope
  - *gone
  - id: b
    when: { threshold: { sensor: t, above: x } }
  - id: c
    when: &ok { threshold: { sensor: t, above: 1 } }
  - id: d
    when: *ok
`;
    expect(brief(issuesOf(text))).toEqual([
      "3:11 rules[0].when: unresolved alias *nope: no anchor &nope is set before it",
      "4:5 rules[1]: unresolved alias *gone: no anchor &gone is set before it",
      "6:44 rules[2].when.threshold.above: expected number, received string",
    ]);
  });

  it("bounds durations: at most 365d, and a number of ms must be a whole number", () => {
    const rule = (d: string) =>
      `rules:\n  - id: a\n    when: { stale: { after: 1m } }\n    for: ${d}\n`;
    expect(parseRules(rule("365d"), "f.yaml").rules[0]!.forMs).toBe(31_536_000_000);
    expect(parseRules(rule("31536000000"), "f.yaml").rules[0]!.forMs).toBe(31_536_000_000);
    expect(brief(issuesOf(rule("99999999999999999999d")))).toEqual([
      '4:10 rules[0].for: duration "99999999999999999999d" is too long: at most 365d',
    ]);
    expect(brief(issuesOf(rule("366d")))[0]).toMatch(/"366d" is too long: at most 365d/);
    expect(brief(issuesOf(rule("1e21")))).toEqual([
      "4:10 rules[0].for: invalid duration 1e+21: a number of ms must be a whole number",
    ]);
    expect(brief(issuesOf(rule("1.5")))[0]).toMatch(/invalid duration 1.5: a number of ms/);
    const windowed = `rules:\n  - id: r\n    when: { rate: { sensor: t, window: 400d, above: 1 } }\n`;
    expect(brief(issuesOf(windowed))).toEqual([
      '3:40 rules[0].when.rate.window: duration "400d" is too long: at most 365d',
    ]);
  });

  it("names the field of an action that is wrong, not only that it is not an action", () => {
    const text = `rules:
  - id: a
    when: { threshold: { sensor: t, above: 1 } }
    actions:
      - alert
      - gpio: { line: 17, value: 2 }
      - gpio: { line: 17, valu: 1 }
      - command: 5
      - shout: loud
`;
    expect(brief(issuesOf(text))).toEqual([
      "6:34 rules[0].actions[1].gpio.value: expected 0 or 1",
      '7:27 rules[0].actions[2].gpio.valu: unknown field "valu"',
      "8:18 rules[0].actions[3].command: expected a command name or {name, args}",
      "9:9 rules[0].actions[4]: expected an action: alert, {gpio: {line, value, latch}} or {command: {name, args}}",
    ]);
  });

  it("reports YAML syntax errors with their position", () => {
    const is = issuesOf("rules:\n  - id: a\n    when: { threshold: [\n");
    expect(is.length).toBeGreaterThan(0);
    // The flow sequence opened on line 3 is never closed: reported where the text ends.
    expect(is[0]).toMatchObject({ file: "f.yaml", line: 4, column: 1 });
  });

  it("rejects duplicate keys", () => {
    const is = issuesOf("rules:\n  - id: a\n    id: b\n    when: { stale: { after: 1s } }\n");
    expect(is[0]!.line).toBe(3);
    expect(is[0]!.message).toMatch(/unique/);
  });

  it("needs a rules list and locates a missing field at its parent", () => {
    expect(brief(issuesOf("version: 2\n"))).toEqual([
      "1:10 version: version must be 1",
      "1:1 rules: expected `rules:` with a list of rules",
    ]);
    expect(brief(issuesOf("rules:\n  - id: x\n"))).toEqual([
      "2:5 rules[0].when: expected a condition: one of threshold, rate, stale, deadband, all, any, not",
    ]);
  });

  it("checks hysteresis and clear levels against the raise level", () => {
    const msgs = (when: string) =>
      issuesOf(`rules:\n  - id: x\n    when: ${when}\n`).map((i) => `${i.path}: ${i.message}`);
    expect(msgs("{ threshold: { sensor: t, above: 5, clear_at: 6 } }")).toEqual([
      "rules[0].when.threshold.clear_at: clear_at 6 must be <= above 5",
    ]);
    expect(msgs("{ threshold: { sensor: t, below: 5, clear_at: 4 } }")).toEqual([
      "rules[0].when.threshold.clear_at: clear_at 4 must be >= below 5",
    ]);
    expect(msgs("{ threshold: { sensor: t, outside: [0, 10], hysteresis: 6 } }")).toEqual([
      "rules[0].when.threshold.hysteresis: the clear band [6,4] must lie inside [0, 10]",
    ]);
    expect(msgs("{ threshold: { sensor: t, above: 5, hysteresis: 1, clear_at: 4 } }")).toEqual([
      "rules[0].when.threshold.clear_at: give either hysteresis or clear_at, not both",
    ]);
    expect(msgs("{ threshold: { sensor: t, above: 5, hysteresis: -1 } }")[0]).toMatch(
      /hysteresis: Too small/,
    );
    expect(msgs("{ rate: { sensor: t, window: 0s, above: 1 } }")).toEqual([
      "rules[0].when.rate.window: window must be longer than 0",
    ]);
    expect(msgs("{ rate: { sensor: t, window: 1m, per: day, above: 1 } }")[0]).toMatch(
      /^rules\[0\].when.rate.per: /,
    );
    expect(msgs("{ threshold: { sensor: t } }")).toEqual([
      "rules[0].when.threshold: needs one of above, below, outside, inside",
    ]);
    expect(msgs("{ threshold: { sensor: t, above: 1 }, stale: { after: 1s } }")[0]).toMatch(
      /exactly one kind/,
    );
  });

  it("keeps deadband out of combinations and durations", () => {
    const msgs = (body: string) =>
      issuesOf(`rules:\n  - id: x\n${body}`).map(
        (i) => `${i.line}:${i.column} ${i.path}: ${i.message}`,
      );
    expect(msgs("    when: { any: [ { deadband: { sensor: t, band: 1 } } ] }\n")).toEqual([
      "3:20 rules[0].when.any[0]: deadband reports changes and cannot be combined; give it its own rule",
    ]);
    expect(msgs("    when: { deadband: { sensor: t, band: 1 } }\n    for: 5s\n")).toEqual([
      "4:10 rules[0].for: a deadband rule reports each change at once: for and clear_for do not apply",
    ]);
  });

  it("checks rule ids", () => {
    expect(
      brief(issuesOf("rules:\n  - id: 'bad id'\n    when: { stale: { after: 1s } }\n")),
    ).toEqual([
      "2:9 rules[0].id: id must start with a letter or digit and use only letters, digits, _ . : -",
    ]);
  });

  it("parses actions in short and long forms", () => {
    const rs = parseRules(`rules:
  - id: a
    when: { threshold: { sensor: p, above: 8 } }
    actions:
      - alert
      - alert: {}
      - gpio: { line: 17 }
      - gpio: { line: FAN, value: 1, latch: false }
      - command: reboot
      - command: { name: vent, args: { valve: 2 } }
`);
    expect(rs.rules[0]!.actions).toEqual([
      { type: "alert" },
      { type: "alert" },
      { type: "gpio", line: 17, value: 0, latch: true },
      { type: "gpio", line: "FAN", value: 1, latch: false },
      { type: "command", name: "reboot" },
      { type: "command", name: "vent", args: { valve: 2 } },
    ]);
    // Latched lines stay driven; an unlatched line is released; commands are not repeated.
    expect(rs.rules[0]!.clearActions).toEqual([
      { type: "alert" },
      { type: "alert" },
      { type: "gpio", line: "FAN", value: 0, latch: false },
    ]);
  });

  it("accepts JSON text (JSON is YAML)", () => {
    const rs = parseRules(
      JSON.stringify({
        rules: [{ id: "j", when: { stale: { after: "5m" } }, scope: { devices: "pump-*" } }],
      }),
    );
    expect(rs.rules[0]).toMatchObject({
      when: { kind: "stale", afterMs: 300_000 },
      scope: { devices: ["pump-*"] },
    });
  });

  it("compileRules validates rules given as data, with paths", () => {
    expect(
      compileRules({ rules: [{ id: "a", when: { stale: { after: "1m" } } }] }).rules[0]!.id,
    ).toBe("a");
    expect(() =>
      compileRules({ rules: [{ id: "a", when: { stale: { after: "x" } } }] }, "desired"),
    ).toThrow(/desired:\d+:\d+: rules\[0\]\.when\.stale\.after: invalid duration "x"/);
  });

  it("loadRulesFile puts the path in every issue", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rules-"));
    const f = join(dir, "bad.yaml");
    writeFileSync(f, "rules:\n  - id: a\n    when: { stale: { after: soon } }\n");
    await expect(loadRulesFile(f)).rejects.toMatchObject({
      issues: [{ file: f, line: 3, column: 29 }],
    });
    await expect(loadRulesFile(f)).rejects.toThrow(
      `${f}:3:29: rules[0].when.stale.after: invalid duration "soon"`,
    );
  });
});

describe("parseDuration", () => {
  it.each([
    ["500ms", 500],
    ["30s", 30_000],
    ["5m", 300_000],
    ["5min", 300_000],
    ["1h30m", 5_400_000],
    ["2d", 172_800_000],
    ["1.5s", 1500],
    ["250", 250],
    [1000, 1000],
  ])("%s", (text, ms) => expect(parseDuration(text)).toBe(ms));
  it.each(["", "5x", "m5", "1h 30m", "-1s", "1s2"])("rejects %j", (text) =>
    expect(parseDuration(text)).toBeUndefined(),
  );
});
