// The example operator dashboard, end to end in headless Chromium: a device's telemetry reaches
// the real cloud processor, which raises an alert; Node-RED shows the device and the alert; a
// click on "Acknowledge" goes through the Fieldline ack node to the processor's API, and the
// acknowledged alert comes back over MQTT to the page. The ack node authenticates with a
// node-red token made by the processor's token CLI; its credential (Node-RED's credential
// store) says `${FIELDLINE_API_TOKEN}`, as in the docker-compose deployment, and Node-RED
// takes the token from its environment.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import mqtt from "mqtt";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodePayload, topics } from "@fieldline/firmware-contracts";
import { startAedes } from "./aedes";
import { freePort, startNodeRed, type NodeRedRuntime } from "./runtime";

const root = fileURLToPath(new URL("../..", import.meta.url));
const tsx = path.join(root, "node_modules/tsx/dist/cli.mjs");

let broker: Awaited<ReturnType<typeof startAedes>>;
let red: NodeRedRuntime;
let processor: ChildProcess;
let processorLog = "";
let apiUrl: string;
let apiToken: string;
let dir: string;
let browser: Browser;

async function waitFor<T>(what: string, probe: () => Promise<T>, ok: (v: T) => boolean, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      const v = await probe();
      if (ok(v)) return v;
    } catch {
      // not ready yet
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${processorLog}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "fieldline-dashboard-"));
  broker = await startAedes();
  const port = await freePort();
  apiUrl = `http://127.0.0.1:${port}`;
  await writeFile(
    path.join(dir, "rules.yaml"),
    [
      "version: 1",
      "rules:",
      "  - id: pump-hot",
      "    severity: critical",
      "    when:",
      "      threshold: { sensor: temp, above: 80 }",
      "    actions: [alert]",
      '    message: "{device}: temp {value}"',
    ].join("\n"),
  );
  await writeFile(
    path.join(dir, "processor.yaml"),
    [
      `dataDir: ${dir}/data`,
      "mqtt:",
      `  url: ${broker.url}`,
      "  clientId: dashboard-proc",
      "sink:",
      "  type: file",
      `  path: ${dir}/data/points.lp`,
      "detection:",
      "  enabled: false",
      "rules:",
      `  file: ${dir}/rules.yaml`,
      "http:",
      `  port: ${port}`,
      "log:",
      "  level: warn",
    ].join("\n"),
  );
  const cli = path.join(root, "cloud-processor/src/cli.ts");
  const added = await promisify(execFile)(process.execPath, [tsx, cli, "token", "add", "node-red", "--role", "node-red", "--data-dir", `${dir}/data`]);
  apiToken = added.stdout.trim();
  processor = spawn(process.execPath, [tsx, cli, "run", "--config", path.join(dir, "processor.yaml")], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  processor.stdout!.on("data", (d) => (processorLog += d));
  processor.stderr!.on("data", (d) => (processorLog += d));
  red = await startNodeRed({ FIELDLINE_API_TOKEN: apiToken });
  await waitFor("processor API", () => fetch(`${apiUrl}/healthz`).then((r) => r.status), (s) => s === 200);
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}, 90_000);

afterAll(async () => {
  await browser?.close();
  processor?.kill("SIGTERM");
  await red?.stop();
  await broker?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("operator dashboard", () => {
  it("shows live devices and alerts, and acknowledges an alert from the browser", async () => {
    const flows = JSON.parse(await readFile(new URL("../examples/operator-dashboard.json", import.meta.url), "utf8")) as Record<string, unknown>[];
    for (const n of flows) {
      if (n.type === "fieldline-broker") n.url = broker.url;
      if (n.type === "fieldline-alert-ack") Object.assign(n, { api: apiUrl, credentials: { token: "${FIELDLINE_API_TOKEN}" } });
    }
    await red.deploy(flows);
    // The credential sits in Node-RED's credential store, not in the flow file.
    expect(await readFile(path.join(red.userDir, "flows_cred.json"), "utf8")).toContain("${FIELDLINE_API_TOKEN}");
    expect(await readFile(path.join(red.userDir, "flows.json"), "utf8")).not.toContain("FIELDLINE_API_TOKEN");
    expect((await fetch(`${apiUrl}/alerts`)).status).toBe(401);

    const page = await browser.newPage();
    await page.goto(`${red.url}/fieldline`);
    await page.locator("#conn", { hasText: "live" }).waitFor({ timeout: 15_000 });

    const device = await mqtt.connectAsync(broker.url, { clientId: "pump-7" });
    const addr = { site: "plant-1", device: "pump-7" };
    const t = Date.now();
    const readings = [
      { sensor: "temp", t, value: 61.5 },
      { sensor: "temp", t: t + 1000, value: 93.25 },
      { sensor: "rpm", t: t + 1000, value: 1480 },
    ];
    await device.publishAsync(
      topics.telemetry(addr),
      Buffer.from(encodePayload("telemetry", { v: 1, device: "pump-7", boot: "b1", seq: 0, readings })),
      { qos: 1 },
    );
    await device.endAsync();

    const deviceRow = page.locator('tr[data-device="pump-7"]');
    await expect.poll(() => deviceRow.textContent(), { timeout: 15_000 }).toContain("temp=93.25");
    await expect.poll(() => deviceRow.textContent()).toContain("rpm=1480");

    const alertRow = page.locator("#alerts tbody tr", { hasText: "pump-hot" });
    await alertRow.waitFor({ timeout: 15_000 });
    expect(await alertRow.textContent()).toContain("critical");
    expect(await alertRow.textContent()).toContain("raised");

    await alertRow.locator("button.ack").click();
    await expect.poll(() => alertRow.locator(".state").textContent(), { timeout: 15_000 }).toBe("acknowledged by dashboard");

    const alerts = (await (await fetch(`${apiUrl}/alerts`, { headers: { authorization: `Bearer ${apiToken}` } })).json()) as { rule: string; state: string; ackBy?: string }[];
    expect(alerts.find((a) => a.rule === "pump-hot")).toMatchObject({ state: "acknowledged", ackBy: "dashboard" });
    const audit = await readFile(path.join(dir, "data", "audit.jsonl"), "utf8");
    expect(audit).toMatch(/"who":"node-red","role":"node-red","action":"alert.acknowledged".*"by":"dashboard"/);

    await page.screenshot({ path: path.join(dir, "dashboard.png"), fullPage: true });
    if (process.env.FIELDLINE_SCREENSHOT) await page.screenshot({ path: process.env.FIELDLINE_SCREENSHOT, fullPage: true });
  });
});
