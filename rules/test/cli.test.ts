// The CLI run as a real process (node + tsx), as an operator runs it.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const root = join(import.meta.dirname, "..", "..");
const cli = join(import.meta.dirname, "..", "src", "cli.ts");
const cases = join(import.meta.dirname, "cases");
const tmp = mkdtempSync(join(tmpdir(), "rules-cli-"));

async function rules(args: string[], opts: { cwd?: string } = {}) {
  try {
    const { stdout, stderr } = await run(process.execPath, ["--import", "tsx", cli, ...args], {
      cwd: opts.cwd ?? root,
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}
const lines = (s: string) => s.split("\n").filter((l) => l.trim() !== "");

describe("rules CLI", () => {
  it("prints help with exit 0, and usage with exit 2 on a wrong command", async () => {
    const help = await rules(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/rules check <rules.yaml>/);
    expect(help.stdout).toMatch(/rules replay <rules.yaml>/);
    const bad = await rules(["frobnicate"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown command "frobnicate"/);
    expect((await rules(["replay", "only-one-arg.yaml"])).code).toBe(2);
  });

  it("check: exit 0 for valid files, exit 1 with file:line:col for every error", async () => {
    const good = join(cases, "combination", "rules.yaml");
    const ok = await rules(["check", good]);
    expect(ok).toMatchObject({ code: 0, stdout: `${good}: ok (3 rules)\n` });

    const bad = join(tmp, "bad.yaml");
    writeFileSync(
      bad,
      "rules:\n  - id: a\n    when: { threshold: { sensor: t, above: x } }\n    for: soon\n",
    );
    const res = await rules(["check", good, bad]);
    expect(res.code).toBe(1);
    expect(lines(res.stderr)).toEqual([
      `${bad}:3:44: rules[0].when.threshold.above: expected number, received string`,
      `${bad}:4:10: rules[0].for: invalid duration "soon": use e.g. 500ms, 30s, 5m, 1h, 1d`,
    ]);
    expect((await rules(["check", join(tmp, "missing.yaml")])).code).toBe(1);
  });

  it("replay --json prints the same transitions as the golden case", async () => {
    const res = await rules([
      "replay",
      join(cases, "stale", "rules.yaml"),
      join(cases, "stale", "input.jsonl"),
      "--json",
    ]);
    expect(res.code).toBe(0);
    expect(lines(res.stdout).map((l) => JSON.parse(l))).toEqual(
      lines(readFileSync(join(cases, "stale", "expected.jsonl"), "utf8")).map((l) => JSON.parse(l)),
    );
  });

  it("replay reads CSV with ISO times and prints a table", async () => {
    const csv = join(tmp, "t.csv");
    writeFileSync(
      csv,
      "time,device,sensor,value\n2026-01-01T00:00:00Z,boiler-1,temp,80\n2026-01-01T00:00:10Z,boiler-1,temp,95\n2026-01-01T00:01:00Z,boiler-1,temp,70\n",
    );
    const rulesFile = join(tmp, "r.yaml");
    writeFileSync(
      rulesFile,
      'rules:\n  - id: hot\n    severity: critical\n    when: { threshold: { sensor: temp, above: 90 } }\n    message: "{device} at {value}"\n',
    );
    const res = await rules(["replay", rulesFile, csv]);
    expect(res.code).toBe(0);
    expect(lines(res.stdout)).toEqual([
      "time                      kind     rule  device    severity  cause                             actions  message",
      "2026-01-01T00:00:10.000Z  fired    hot   boiler-1  critical  temp=95@2026-01-01T00:00:10.000Z  alert    boiler-1 at 95",
      "2026-01-01T00:01:00.000Z  cleared  hot   boiler-1  critical  temp=70@2026-01-01T00:01:00.000Z  alert    boiler-1 at 70",
    ]);
    const broken = join(tmp, "broken.csv");
    writeFileSync(broken, "device,sensor,t,value\nd,temp,1,5\nd,temp,soon,5\n");
    const bad = await rules(["replay", rulesFile, broken]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/line 3: missing or invalid t/);
  });

  it("replay skips readings whose value is not a number, and says how many and where", async () => {
    const rulesFile = join(tmp, "hot.yaml");
    writeFileSync(
      rulesFile,
      "rules:\n  - id: hot\n    when: { threshold: { sensor: temp, above: 50 } }\n",
    );
    const jsonl = join(tmp, "nan.jsonl");
    writeFileSync(
      jsonl,
      [
        '{"device":"a","sensor":"temp","t":0,"value":20}',
        '{"device":"a","sensor":"temp","t":1000,"value":NaN}',
        '{"device":"a","sensor":"temp","t":2000,"value":null}',
        '{"device":"a","sensor":"temp","t":3000,"value":60}',
        '{"device":"a","sensor":"temp","t":4000,"value":"hot"}',
        '{"device":"a","sensor":"temp","t":5000,"value":-Infinity}',
        '{"device":"a","sensor":"temp","t":6000}',
        '{"device":"a","sensor":"temp","t":7000,"value":true}',
        '{"device":"a","sensor":"temp","t":8000,"value":"40"}',
      ].join("\n"),
    );
    const res = await rules(["replay", rulesFile, jsonl, "--json"]);
    expect(res.code).toBe(0);
    expect(
      lines(res.stdout).map((l) => JSON.parse(l) as { t: number; kind: string }),
    ).toMatchObject([
      { t: 3000, kind: "fired" },
      { t: 8000, kind: "cleared" },
    ]);
    expect(res.stderr).toBe(
      `${jsonl}: skipped 6 readings whose value is not a finite number (lines 2, 3, 5, 6, 7, …)\n`,
    );
    const csv = join(tmp, "nan.csv");
    writeFileSync(csv, "device,sensor,t,value\na,temp,0,60\na,temp,1,\na,temp,2,40\n");
    const one = await rules(["replay", rulesFile, csv, "--json"]);
    expect(one.code).toBe(0);
    expect(lines(one.stdout)).toHaveLength(2);
    expect(one.stderr).toBe(
      `${csv}: skipped 1 reading whose value is not a finite number (line 3)\n`,
    );
  });

  it("rejects unknown flags with usage and exit 2", async () => {
    const good = join(cases, "stale", "rules.yaml");
    for (const args of [
      ["check", "--bogus", good],
      ["replay", good, join(cases, "stale", "input.jsonl"), "--no-tick"],
      ["schema", "--json"],
    ]) {
      const res = await rules(args);
      expect(res.code, args.join(" ")).toBe(2);
      expect(res.stderr).toMatch(/Usage:/);
      expect(res.stdout).toBe("");
    }
  });

  it("replay resumes from a snapshot with the same result as one run", async () => {
    const dir = join(cases, "restart-from-snapshot");
    const input = lines(readFileSync(join(dir, "input.jsonl"), "utf8")).filter(
      (l) => !l.includes("restart"),
    );
    const [a, b] = [join(tmp, "a.jsonl"), join(tmp, "b.jsonl")];
    writeFileSync(a, input.slice(0, 4).join("\n"));
    writeFileSync(b, input.slice(4).join("\n"));
    const snap = join(tmp, "snap.json");
    const first = await rules(["replay", join(dir, "rules.yaml"), a, "--json", "--snapshot", snap]);
    const second = await rules([
      "replay",
      join(dir, "rules.yaml"),
      b,
      "--json",
      "--from-snapshot",
      snap,
    ]);
    expect([first.code, second.code]).toEqual([0, 0]);
    expect([...lines(first.stdout), ...lines(second.stdout)].map((l) => JSON.parse(l))).toEqual(
      lines(readFileSync(join(dir, "expected.jsonl"), "utf8")).map((l) => JSON.parse(l)),
    );
  });

  it("replay takes the fleet with labels from --devices and ticks to --until", async () => {
    const dir = join(cases, "scope-glob-labels");
    const devices = join(tmp, "devices.yaml");
    writeFileSync(
      devices,
      "boiler-1: { labels: { site: north } }\nboiler-2: { labels: { site: south } }\npump-1: { labels: { site: north } }\nidle-9:\n",
    );
    const data = join(tmp, "s.jsonl");
    writeFileSync(
      data,
      lines(readFileSync(join(dir, "input.jsonl"), "utf8"))
        .slice(1)
        .join("\n"),
    );
    const rulesFile = join(tmp, "s.yaml");
    writeFileSync(
      rulesFile,
      readFileSync(join(dir, "rules.yaml"), "utf8") +
        "  - id: silent\n    when: { stale: { after: 1m } }\n",
    );
    const res = await rules([
      "replay",
      rulesFile,
      data,
      "--devices",
      devices,
      "--json",
      "--start",
      "0",
      "--until",
      "70000",
    ]);
    expect(res.code).toBe(0);
    const got = lines(res.stdout).map(
      (l) => JSON.parse(l) as { rule: string; device: string; t: number },
    );
    expect(got.filter((x) => x.rule !== "silent")).toEqual(
      lines(readFileSync(join(dir, "expected.jsonl"), "utf8")).map((l) => JSON.parse(l)),
    );
    expect(got.filter((x) => x.rule === "silent").map((x) => `${x.t} ${x.device}`)).toEqual([
      "60000 idle-9",
      "61000 boiler-1",
      "61000 boiler-19",
      "61000 boiler-2",
      "61000 pump-1",
    ]);
  });

  it("replays the example plant in examples/ to its documented timeline", async () => {
    const ex = join(import.meta.dirname, "..", "examples");
    const res = await rules([
      "replay",
      join(ex, "site.yaml"),
      join(ex, "telemetry.csv"),
      "--devices",
      join(ex, "fleet.yaml"),
      "--until",
      "2026-01-01T00:20:00Z",
      "--json",
    ]);
    expect(res.code).toBe(0);
    const got = lines(res.stdout).map((l) => {
      const x = JSON.parse(l) as { t: number; kind: string; rule: string; device: string };
      return `${new Date(x.t).toISOString().slice(11, 19)} ${x.kind} ${x.rule} ${x.device}`;
    });
    expect(got).toEqual([
      "00:02:00 fired boiler-heating-fast boiler-2",
      "00:02:20 cleared boiler-heating-fast boiler-2",
      "00:03:40 fired pump-dry-run pump-1",
      "00:04:40 fired boiler-overheat boiler-1",
      "00:05:00 cleared pump-dry-run pump-1",
      "00:09:00 fired device-silent boiler-2",
      "00:14:50 fired device-silent boiler-1",
      "00:14:50 fired device-silent pump-1",
    ]);
  });

  it("schema prints the JSON Schema of a rules file", async () => {
    const res = await rules(["schema"]);
    expect(res.code).toBe(0);
    const schema = JSON.parse(res.stdout) as {
      title: string;
      properties: { rules: { items: { required: string[] } } };
    };
    expect(schema.title).toBe("Fieldline rules file");
    expect(schema.properties.rules.items.required).toEqual(["id", "when"]);
  });

  it("runs through the workspace script with paths relative to the caller", async () => {
    const { stdout } = await run(
      "npm",
      [
        "run",
        "--silent",
        "-w",
        "@fieldline/rules",
        "rules",
        "--",
        "check",
        "rules/test/cases/stale/rules.yaml",
      ],
      {
        cwd: root,
      },
    );
    expect(stdout).toBe("rules/test/cases/stale/rules.yaml: ok (2 rules)\n");
  });

  it("replays a time beyond what a date can hold without a crash, printing the number", async () => {
    const rulesFile = join(tmp, "far.yaml");
    writeFileSync(rulesFile, "rules:\n  - id: hot\n    when: { threshold: { sensor: temp, above: 50 } }\n");
    const jsonl = join(tmp, "far.jsonl");
    writeFileSync(jsonl, '{"device":"d","sensor":"temp","t":1e300,"value":95}\n');
    const res = await rules(["replay", rulesFile, jsonl]);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/1e\+300\s+fired\s+hot/);
  });
});
