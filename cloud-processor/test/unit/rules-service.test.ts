// RulesService with devices' labels (from their `state` messages): label-scoped rules fire
// in the cloud, a change of labels resolves the device's scopes again, and labels are
// checkpointed with the rule state so a restart meets the same scopes. No MQTT: publish is
// a function that keeps what it is given.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import type { AlertSignal } from "../../src/alerts/signal.ts";
import { RulesService } from "../../src/rules-service.ts";

const RULES = `rules:
  - id: north-hot
    scope: { labels: { site: north } }
    when: { threshold: { sensor: temp, above: 50 } }
  - id: any-hot
    when: { threshold: { sensor: temp, above: 50 } }
  - id: north-silent
    scope: { labels: { site: north } }
    when: { stale: { after: 1m } }
`;

const log = pino({ level: "silent" });
const brief = (ss: AlertSignal[]) => ss.map((s) => `${s.t} ${s.kind} ${s.rule} ${s.site}/${s.device}`);
const temp = (device: string, t: number, value: number) => ({ device, sensor: "temp", t, value });

async function service(dir: string) {
  const published: string[] = [];
  const svc = new RulesService(join(dir, "rules.json"), async (topic) => void published.push(topic), log);
  await svc.load();
  return { svc, published };
}

describe("RulesService with device labels", () => {
  it("resolves label scopes from reported labels and again when they change", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rules-service-"));
    const { svc } = await service(dir);
    expect(await svc.apply(RULES)).toMatchObject({ ok: true, rules: 3 });
    svc.deviceSeen("s1", "a");
    // No labels known yet: only the unscoped rule applies.
    expect(brief(svc.push("s1", temp("a", 0, 60)))).toEqual(["0 fire any-hot s1/a"]);

    // Labels arrive: north-hot now applies (from the next reading), any-hot keeps its state.
    expect(svc.deviceLabels("s1", "a", { site: "north", tier: "prod" })).toEqual([]);
    expect(brief(svc.push("s1", temp("a", 1000, 61)))).toEqual(["1000 fire north-hot s1/a"]);
    // The same labels again, or a state message without labels: nothing changes.
    expect(svc.deviceLabels("s1", "a", { tier: "prod", site: "north" })).toEqual([]);
    expect(svc.deviceLabels("s1", "a", undefined)).toEqual([]);
    expect(brief(svc.push("s1", temp("a", 2000, 40)))).toEqual(["2000 clear north-hot s1/a", "2000 clear any-hot s1/a"]);
    expect(brief(svc.push("s1", temp("a", 3000, 70)))).toEqual(["3000 fire north-hot s1/a", "3000 fire any-hot s1/a"]);

    // Moved to another site: the fired north rule no longer applies and its alert clears.
    const moved = svc.deviceLabels("s1", "a", { site: "south" });
    expect(brief(moved)).toEqual(["3000 clear north-hot s1/a"]);
    expect(moved[0]).toMatchObject({ severity: "warning", value: undefined });
    expect(brief(svc.push("s1", temp("a", 4000, 40)))).toEqual(["4000 clear any-hot s1/a"]);

    // A device whose labels arrive before its first reading is resolved with them.
    expect(svc.deviceLabels("s1", "b", { site: "north" })).toEqual([]);
    svc.deviceSeen("s1", "b");
    expect(brief(svc.push("s1", temp("b", 4000, 90)))).toEqual(["4000 fire north-hot s1/b", "4000 fire any-hot s1/b"]);

    // Label-scoped stale rules watch only the north devices (a is south now).
    expect(brief(svc.advance(70_000))).toEqual(["64000 fire north-silent s1/b"]);
  });

  it("checkpoints labels with the rule state: a fired label-scoped rule still clears after a restart", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rules-service-"));
    const first = await service(dir);
    await first.svc.apply(RULES);
    first.svc.deviceSeen("s1", "a");
    first.svc.deviceLabels("s1", "a", { site: "north" });
    expect(brief(first.svc.push("s1", temp("a", 0, 60)))).toEqual(["0 fire north-hot s1/a", "0 fire any-hot s1/a"]);
    await first.svc.checkpoint();

    const second = await service(dir);
    second.svc.deviceSeen("s1", "a");
    // The restored state kept north-hot for a (its labels were read back before the state).
    expect(brief(second.svc.push("s1", temp("a", 1000, 40)))).toEqual(["1000 clear north-hot s1/a", "1000 clear any-hot s1/a"]);
    // The retained state message redelivered after the restart changes nothing.
    expect(second.svc.deviceLabels("s1", "a", { site: "north" })).toEqual([]);
  });

  it("keeps labels across new rules", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rules-service-"));
    const { svc } = await service(dir);
    await svc.apply(RULES);
    svc.deviceSeen("s1", "a");
    svc.deviceLabels("s1", "a", { site: "north" });
    svc.push("s1", temp("a", 0, 20));
    expect(await svc.apply(RULES.replace("above: 50 } }\n  - id: any-hot", "above: 30 } }\n  - id: any-hot"))).toMatchObject({ ok: true });
    expect(brief(svc.push("s1", temp("a", 1000, 40)))).toEqual(["1000 fire north-hot s1/a"]);
  });
});
