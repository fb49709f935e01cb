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
    expect(() => parseConfig("device: [1, 2\nbroker: x", "bad.yaml")).toThrow(/bad\.yaml: (\d+ problems\n  )?line \d+/);
  });

  it("rejects unknown keys at any depth, with their path and the closest known key", () => {
    let err: unknown;
    try {
      parseConfig(
        `
device: { site: s1, id: d1, lables: { zone: north } }
broker: { url: "mqtt://127.0.0.1:1883", usrname: pump3, reconnect: { initalMs: 100 } }
inputs:
  - { type: serial-frames, path: /dev/ttyUSB0, baudrate: 9600 }
  - { type: modbus-rtu, path: /dev/ttyUSB1, points: [ { unit: 1, table: holding, address: 0, sensor: p, scael: 0.1 } ] }
gpio: { chip: { type: sim, port: 0, lnies: 8 }, outputs: { VALVE: { line: 4, inital: 1 } } }
outbx: { maxBytes: 100000 }
zzz: 1
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
        'device.lables: unknown key "lables" (did you mean "labels"?)',
        'broker.usrname: unknown key "usrname" (did you mean "username"?)',
        'broker.reconnect.initalMs: unknown key "initalMs" (did you mean "initialMs"?)',
        'inputs[0].baudrate: unknown key "baudrate" (did you mean "baudRate"?)',
        'gpio.chip.lnies: unknown key "lnies" (did you mean "lines"?)',
        'gpio.outputs.VALVE.inital: unknown key "inital" (did you mean "initial"?)',
        'outbx: unknown key "outbx" (did you mean "outbox"?)',
        expect.stringMatching(/^zzz: unknown key "zzz" \(known: device, broker, /),
      ]),
    );
    expect(issues).toContain('inputs[1].points[0].scael: unknown key "scael" (did you mean "scale"?)');
  });

  it("takes device labels and defaults the MQTT client id to the device id", () => {
    const c = parseConfig(`device: { site: s1, id: d1, labels: { zone: north } }\nbroker: { url: "mqtt://127.0.0.1:1883" }\n`);
    expect(c.device.labels).toEqual({ zone: "north" });
    expect(c.broker.clientId).toBeUndefined();
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

      // Misspelt keys fail check-config (they used to pass with exit 0).
      const typos = join(dir, "typos.yaml");
      writeFileSync(typos, `device: { site: s1, id: d1 }\nbroker: { url: "mqtt://127.0.0.1:1883", usrname: d1 }\noutbx: { maxBytes: 100000 }\n`);
      const t = spawnSync(process.execPath, ["--import", "tsx", cli, "check-config", "--config", typos], { encoding: "utf8" });
      expect(t.status).toBe(78);
      expect(t.stderr).toMatch(/broker\.usrname: unknown key "usrname" \(did you mean "username"\?\)/);
      expect(t.stderr).toMatch(/outbx: unknown key "outbx" \(did you mean "outbox"\?\)/);

      // A GPIO chip that does not exist is a config error: exit 78 (no restart loop), one line, no stack.
      const nochip = join(dir, "nochip.yaml");
      writeFileSync(nochip, `${minimal}gpio: { chip: { type: libgpiod, chip: gpiochip9 }, outputs: { VALVE: { line: 17 } } }\ndataDir: "${dir}"\nhttp: { listen: null }\nlog: { level: silent }\n`);
      const g = spawnSync(process.execPath, ["--import", "tsx", cli, "run", "--config", nochip], { encoding: "utf8", timeout: 20_000 });
      expect(g.status).toBe(78);
      expect(g.stderr.trim().split("\n")).toHaveLength(1);
      expect(g.stderr).toMatch(/^gpio: gpio\.outputs\.VALVE: cannot open GPIO chip "gpiochip9"/);
      expect(g.stderr).not.toMatch(/\n\s+at /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
