/**
 * `npm run demo` as a user runs it (a process, its own temp folder and ports), shortened with
 * --quick: exit 0 and a report with nothing missing, alerts raised and a latched shutoff.
 * Then with --influx-url pointed at a VictoriaMetrics (it speaks the InfluxDB v2 write API)
 * to cover the InfluxDB sink path, and SIGINT in the middle: every process it started is gone.
 */
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Report } from "../../scripts/platform/report";
import { startVictoria, type Server } from "../../scripts/platform/servers";

const ROOT = resolve(import.meta.dirname, "../..");

function demo(args: string[]): { done: Promise<number>; out: () => string; err: () => string; kill: (s: NodeJS.Signals) => void; pid: number } {
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/demo.ts", ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.on("data", (d: Buffer) => (out += d));
  child.stderr.on("data", (d: Buffer) => (err += d));
  return {
    done: new Promise((r) => child.once("exit", (code) => r(code ?? -1))),
    out: () => out,
    err: () => err,
    kill: (s) => child.kill(s),
    pid: child.pid!,
  };
}

/** Processes whose command line mentions `dir` (the demo's work folder is in every config path). */
async function processesUsing(dir: string): Promise<string[]> {
  const { readdir } = await import("node:fs/promises");
  const found: string[] = [];
  for (const pid of await readdir("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    const cmd = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
    if (cmd.includes(dir)) found.push(`${pid}: ${cmd.replaceAll("\0", " ")}`);
  }
  return found;
}

describe("npm run demo", () => {
  let base: string;
  let vm: Server | undefined;
  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), "fl-e2e-demo-"));
  });
  afterAll(async () => {
    await vm?.stop();
    await rm(base, { recursive: true, force: true });
  });

  it("--quick: exits 0 with a report of a clean run", async () => {
    const dir = join(base, "quick");
    const d = demo(["--quick", "--dir", dir, "--json", join(base, "quick.json")]);
    const code = await d.done;
    expect(code, d.err().slice(-3000)).toBe(0);
    const report = JSON.parse(await readFile(join(base, "quick.json"), "utf8")) as Report;
    const text = d.out();
    expect(report.ok).toBe(true);
    expect(report.readings.mqttSent).toBeGreaterThan(10_000);
    expect(report.stored?.mqtt).toMatchObject({ missing: 0, duplicated: 0, altered: 0, unexpected: 0 });
    expect(report.stored?.serial).toMatchObject({ missing: 0, extra: 0, outOfOrder: 0 });
    expect(report.alerts.byRule["meter-overheat"]).toBeGreaterThan(0);
    expect(report.alerts.injected.alerted).toEqual(report.alerts.injected.devices);
    expect(text).toMatch(/injected anomaly +level shift on meter-\d+, meter-\d+, meter-\d+: alerted 3 of 3/);
    expect(report.alerts.byRule["boiler-overheat"]).toBe(1);
    expect(report.shutoff).toMatchObject({ device: "boiler-0001", latched: true, eventDelivered: true });
    expect(report.shutoff.latencyMs).toBeGreaterThanOrEqual(0);
    expect(text).toMatch(/readings stored +\d[\d,]* of \d/);
    expect(text).toMatch(/safety shutoff +boiler-0001: VALVE -> 0 by boiler-overheat, \d+ ms from frame arrival to GPIO write; still latched/);
    expect(text).toMatch(/result +OK/);
    expect(text).toContain(join(dir, "processor", "data", "points.lp"));
    expect(d.err()).toMatch(/\[ *\d+ s\] edge sent \d+ · MQTT sent \d+/); // live progress
    expect(await processesUsing(dir)).toEqual([]);
  }, 120_000);

  it("--influx-url: writes through the InfluxDB v2 API and verifies what it wrote", async () => {
    vm = await startVictoria(join(base, "vm"));
    const d = demo(["--seconds", "14", "--devices", "20", "--edge-devices", "1", "--influx-url", vm.url, "--influx-token", "demo-token", "--dir", join(base, "influx"), "--json", join(base, "influx.json")]);
    expect(await d.done, d.err().slice(-3000)).toBe(0);
    const report = JSON.parse(await readFile(join(base, "influx.json"), "utf8")) as Report;
    expect(report.ok).toBe(true);
    expect(report.stored?.mqtt.missing).toBe(0);
    expect(report.stored?.mqtt.matched).toBe(report.readings.mqttSent);
    expect(d.out()).toContain(`InfluxDB v2 API at ${vm.url}`);
  }, 120_000);

  it("SIGINT stops every process it started", async () => {
    const dir = join(base, "interrupted");
    const d = demo(["--quick", "--dir", dir]);
    for (let i = 0; i < 600 && !d.err().includes("edge sent"); i++) await new Promise((r) => setTimeout(r, 100));
    expect(await processesUsing(dir)).not.toEqual([]);
    d.kill("SIGINT");
    expect(await d.done).toBe(130);
    expect(await processesUsing(dir)).toEqual([]);
  }, 120_000);
});
