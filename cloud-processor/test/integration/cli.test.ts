/** The CLI as a process: --help, config errors all at once, run with the file sink and a graceful SIGTERM. */
import { spawn } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { connect, publishTelemetry, telemetry, waitFor } from "../helpers/fleet.ts";
import { freePort, startBroker, tempDir } from "../helpers/servers.ts";

const cli = fileURLToPath(new URL("../../src/cli.ts", import.meta.url));
const tsx = fileURLToPath(new URL("../../../node_modules/tsx/dist/cli.mjs", import.meta.url));

function run(args: string[], cwd?: string) {
  const child = spawn(process.execPath, [tsx, cli, ...args], { cwd, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.on("data", (d: Buffer) => (out += d));
  child.stderr.on("data", (d: Buffer) => (err += d));
  const done = new Promise<number>((r) => child.on("exit", (code) => r(code ?? -1)));
  return { child, done, out: () => out, err: () => err };
}

describe("cloud-processor CLI", () => {
  it("prints help", async () => {
    const r = run(["--help"]);
    expect(await r.done).toBe(0);
    expect(r.out()).toMatch(/run --config FILE/);
    expect(r.out()).toMatch(/detect DATA OUT/);
  });

  it("detect delegates to the detection module's runDetect over NAB-style CSV", async () => {
    const dir = await tempDir();
    const { mkdir } = await import("node:fs/promises");
    await mkdir(join(dir.path, "data/cat"), { recursive: true });
    const rows = Array.from({ length: 50 }, (_, i) => `2014-04-01 00:${String(i).padStart(2, "0")}:00,${10 + (i % 5)}`);
    await writeFile(join(dir.path, "data/cat/series.csv"), ["timestamp,value", ...rows].join("\n") + "\n");
    const r = run(["detect", join(dir.path, "data"), join(dir.path, "out")]);
    expect(await r.done).toBe(0);
    const out = (await readFile(join(dir.path, "out/cat/series.csv"), "utf8")).trim().split("\n");
    expect(out[0]).toBe("timestamp,value,anomaly_score");
    expect(out).toHaveLength(51);
    for (const line of out.slice(1)) {
      const s = Number(line.split(",")[2]);
      expect(s >= 0 && s <= 1).toBe(true);
    }
    await dir.remove();
  });

  it("reports every config error at once and exits 2", async () => {
    const dir = await tempDir();
    const cfg = join(dir.path, "bad.yaml");
    await writeFile(cfg, "mqtt:\n  keepaliveS: -5\nsink:\n  type: influxdb-v1\nhttp:\n  port: 99999\n");
    const r = run(["run", "--config", cfg]);
    expect(await r.done).toBe(2);
    expect(r.err()).toMatch(/3 errors/);
    expect(r.err()).toMatch(/mqtt\.keepaliveS/);
    expect(r.err()).toMatch(/sink\.url/);
    expect(r.err()).toMatch(/http\.port/);
    await dir.remove();
  });

  it("runs with the file sink and stops cleanly on SIGTERM", async () => {
    const [broker, dir] = await Promise.all([startBroker(), tempDir()]);
    const port = await freePort();
    const cfg = join(dir.path, "processor.yaml");
    await writeFile(
      cfg,
      [
        `dataDir: ${dir.path}/data`,
        "mqtt:",
        `  url: ${broker.url}`,
        "  clientId: cli-proc",
        "sink:",
        "  type: file",
        `  path: ${dir.path}/data/points.lp`,
        "http:",
        `  port: ${port}`,
        "log:",
        "  level: warn",
      ].join("\n"),
    );
    const r = run(["run", "--config", cfg]);
    try {
      await waitFor("healthz", () => fetch(`http://127.0.0.1:${port}/healthz`).then((x) => x.status), (s) => s === 200);
      const pub = await connect(broker.url);
      for (let seq = 0; seq < 5; seq++) await publishTelemetry(pub, "s1", telemetry("cli1", "b", seq));
      await pub.endAsync();
      await waitFor(
        "50 lines",
        () => readFile(join(dir.path, "data/points.lp"), "utf8"),
        (t) => t.split("\n").filter((l) => l.startsWith("telemetry,")).length === 50,
      );
      r.child.kill("SIGTERM");
      expect(await r.done).toBe(0);
      await readFile(join(dir.path, "data/detectors.json"), "utf8");
    } finally {
      r.child.kill("SIGKILL");
      await broker.close();
      await dir.remove();
    }
  });
});
