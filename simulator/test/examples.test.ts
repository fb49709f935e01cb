import { readdirSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { loadSpec } from "../src/spec/load";
import { buildFleet } from "../src/run/fleet";
import { planInjections } from "../src/inject/plan";
import { simulate } from "../src/simulate";
import { MemoryTransport } from "../src/transports/memory";
import { MemoryTruth } from "../src/truth/writer";

const dir = resolve(import.meta.dirname, "../examples");
const examples = readdirSync(dir).filter((f) => f.endsWith(".yaml"));

describe.each(examples)("example %s", (file) => {
  it("validates, builds its fleet and runs its first hour", async () => {
    const loaded = await loadSpec(resolve(dir, file));
    const fleet = buildFleet(loaded.spec, loaded.baseDir);
    expect(fleet.devices.length).toBeGreaterThan(0);
    const plan = planInjections(fleet, loaded.spec.injections);
    expect(plan.labels.length).toBeGreaterThan(0);
    loaded.spec.duration = Math.min(loaded.spec.duration, 3_600_000);
    loaded.spec.speed = "max";
    const summary = await simulate(loaded, { transport: new MemoryTransport({ keep: false }), truth: new MemoryTruth() });
    expect(summary.readingsSent).toBeGreaterThan(0);
  });
});
