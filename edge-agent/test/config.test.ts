import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { configDoc } from "../src/config/doc";
import { ConfigError, parseConfig } from "../src/config/load";

const minimal = `
device: { site: s1, id: d1 }
broker: { url: "mqtt://127.0.0.1:1883" }
`;

describe("config", () => {
  it("fills defaults for a minimal file", () => {
    const c = parseConfig(minimal);
    expect(c.outbox).toMatchObject({ fsync: "interval", full: "drop-oldest", maxBytes: 256 * 1024 * 1024 });
    expect(c.telemetry).toEqual({ maxBatch: 1000, lingerMs: 20 });
    expect(c.http.listen).toBe("127.0.0.1:9410");
    expect(c.inputs).toEqual([]);
  });

  it("reports every problem at once, each with its path", () => {
    let err: unknown;
    try {
      parseConfig(
        `
device: { site: "a b", id: d1 }
broker: { url: "http://x", cert: a.pem }
inputs:
  - { type: serial-frames, path: /dev/ttyUSB0 }
  - { type: serial-frames, baudRate: fast }
  - { type: nope }
  - { type: gpio, lines: [ { sensor: door, line: 3 } ] }
outbox: { fsync: sometimes }
`,
        "edge.yaml",
      );
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const issues = (err as ConfigError).issues;
    expect(issues).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^device\.site: /),
        expect.stringMatching(/^broker\.url: /),
        expect.stringMatching(/^broker\.cert: give both cert and key/),
        expect.stringMatching(/^inputs\[1\]\.path: /),
        expect.stringMatching(/^inputs\[1\]\.baudRate: /),
        expect.stringMatching(/^inputs\[2\]\.type: /),
        expect.stringMatching(/^outbox\.fsync: /),
      ]),
    );
    expect((err as Error).message).toMatch(/^edge\.yaml: \d+ problems/);
  });

  it("reports YAML syntax errors with a line", () => {
    expect(() => parseConfig("device: [1, 2\nbroker: x", "bad.yaml")).toThrow(/bad\.yaml: .*\n  line \d+/);
  });

  it("needs a chip for a gpio input", () => {
    expect(() => parseConfig(`${minimal}inputs: [ { type: gpio, lines: [ { sensor: door, line: 3 } ] } ]\n`)).toThrow(
      /gpio: a gpio input needs gpio.chip/,
    );
  });

  it("the README's config reference is the one generated from the schema", () => {
    const readme = readFileSync(join(import.meta.dirname, "../README.md"), "utf8");
    const m = /<!-- config-doc:begin -->\n([\s\S]*?)<!-- config-doc:end -->/.exec(readme);
    expect(m, "README markers").not.toBeNull();
    // Regenerate with: npx tsx edge-agent/src/cli.ts config-doc --readme edge-agent/README.md
    expect(m![1]!.trim()).toBe(configDoc().trim());
  });
});

describe("edge-agent check-config", () => {
  it("exits 0 on a good config and 78 with every problem (config and rules) on a bad one", () => {
    const dir = mkdtempSync(join(tmpdir(), "fl-cli-"));
    try {
      const cli = join(import.meta.dirname, "../src/cli.ts");
      const rules = join(dir, "rules.yaml");
      writeFileSync(rules, "rules:\n  - id: a\n    when: { threshold: { sensor: p, above: 1 } }\n    actions: [ { gpio: { line: VALVE, value: 0, latch: true } } ]\n");
      const good = join(dir, "good.yaml");
      writeFileSync(good, `${minimal}gpio: { chip: { type: sim, port: 0 }, outputs: { VALVE: { line: 4 } } }\nrules: { file: "${rules}" }\n`);
      const ok = spawnSync(process.execPath, ["--import", "tsx", cli, "check-config", "--config", good], { encoding: "utf8" });
      expect(ok.stdout).toMatch(/good\.yaml: ok/);
      expect(ok.status).toBe(0);
      const bad = join(dir, "bad.yaml");
      writeFileSync(bad, `${minimal}gpio: { chip: { type: sim, port: 0 }, outputs: { PUMP: { line: 4 } } }\nrules: { file: "${rules}" }\n`);
      const r = spawnSync(process.execPath, ["--import", "tsx", cli, "check-config", "--config", bad], { encoding: "utf8" });
      expect(r.status).toBe(78);
      expect(r.stderr).toMatch(/rule a: gpio line "VALVE" is not in gpio.outputs/);
      // `run` with the same file releases what it opened (sim chip socket, outbox) and exits 78.
      const badRun = join(dir, "bad-run.yaml");
      writeFileSync(badRun, `${readFileSync(bad, "utf8")}dataDir: "${dir}"\nhttp: { listen: null }\n`);
      const run = spawnSync(process.execPath, ["--import", "tsx", cli, "run", "--config", badRun], { encoding: "utf8", timeout: 20_000 });
      expect(run.status).toBe(78);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
