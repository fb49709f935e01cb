// The example flows deploy into a real Node-RED 4 runtime with the Fieldline nodes installed.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startNodeRed, type NodeRedRuntime } from "./runtime";

let red: NodeRedRuntime;

beforeAll(async () => {
  red = await startNodeRed();
});

afterAll(async () => {
  await red?.stop();
});

describe("Node-RED runtime", () => {
  it("lists the Fieldline nodes with their help text", async () => {
    const html = await (await fetch(`${red.url}/nodes`, { headers: { accept: "text/html" } })).text();
    for (const type of ["fieldline-broker", "fieldline-telemetry-in", "fieldline-alerts-in", "fieldline-alert-ack", "fieldline-command-out"]) {
      expect(html).toContain(`data-template-name="${type}"`);
      expect(html).toContain(`data-help-name="${type}"`);
    }
  });

  it.each(["operator-dashboard.json", "telemetry-and-commands.json"])("deploys the example flow %s", async (file) => {
    const flows = JSON.parse(readFileSync(new URL(`../examples/${file}`, import.meta.url), "utf8"));
    // Point the example's broker and API at this machine (nothing listens there): deploying
    // must not depend on, or reach for, hosts that only exist in a deployment.
    for (const n of flows) {
      if (n.type === "fieldline-broker") n.url = "mqtt://127.0.0.1:1";
      if (n.type === "fieldline-alert-ack") n.api = "http://127.0.0.1:1";
    }
    await red.deploy(flows);
    const deployed = (await (await fetch(`${red.url}/flows`)).json()) as { id: string; type: string }[];
    expect(deployed.map((n) => n.id).sort()).toEqual(flows.map((n: { id: string }) => n.id).sort());
    expect(red.output()).not.toMatch(/Waiting for missing types/);
  });
});
