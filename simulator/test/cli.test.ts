import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const exec = promisify(execFile);
const root = resolve(import.meta.dirname, "../..");
const cli = resolve(root, "simulator/src/cli.ts");
const tsx = resolve(root, "node_modules/.bin/tsx");

async function sim(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(tsx, [cli, ...args], { cwd: root });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe("fieldline-sim CLI", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "fl-sim-cli-"));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("--help lists the commands", async () => {
    const r = await sim(["--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/run --spec[\s\S]*check --spec[\s\S]*verify --truth/);
  });

  it("a bad spec: every problem with its path and line, exit 2", async () => {
    const spec = join(dir, "bad.yaml");
    await writeFile(spec, "duration: 1h\nspeed: -3\nprofiles: {}\ndevices:\n  - { profile: nope, prefix: x- }\n");
    const r = await sim(["check", "--spec", spec]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("2:8 speed:");
    expect(r.stderr).toContain('devices[0].profile: unknown profile "nope"');
  });

  it("run writes the truth and a summary; verify reads a line-protocol file against it", async () => {
    const spec = join(dir, "fleet.yaml");
    await writeFile(
      spec,
      `seed: 4
start: 2026-06-01T00:00:00Z
duration: 2h
truth: truth.jsonl
profiles:
  p:
    sensors:
      v: { interval: 10m, source: { type: noise, mean: 5, sigma: 1 } }
devices:
  - { profile: p, prefix: cli-, count: 2, site: s }
`,
    );
    const r = await sim(["run", "--spec", spec, "--json", "--no-progress"]);
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout) as { devices: number; readingsSent: number };
    expect(summary).toMatchObject({ devices: 2, readingsSent: 24 });
    expect(r.stderr).toMatch(/readings acknowledged\s+24/);
    const truth = (await readFile(join(dir, "truth.jsonl"), "utf8")).trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    const readings = truth.filter((x) => x.type === "reading");
    expect(readings).toHaveLength(24);
    const lp = join(dir, "telemetry.lp");
    await writeFile(lp, readings.slice(1).map((x) => `telemetry,device=${x.device},sensor=${x.sensor},site=${x.site} value=${x.value} ${x.t}`).join("\n") + "\n");
    const v = await sim(["verify", "--truth", join(dir, "truth.jsonl"), "--store", "file", "--target", lp, "--json"]);
    expect(v.code).toBe(1);
    expect(JSON.parse(v.stdout)).toMatchObject({ ok: false, expected: 24, matched: 23, missing: 1 });
    expect(v.stderr).toContain("missing: cli-0001/v @ 2026-06-01T00:00:00.000Z");
  });
});
