/**
 * The edge-fleet check itself (no servers): it must see a missing, a doubled and a reordered
 * reading, not only pass. Points are read back through the simulator's line-protocol reader
 * from a real file, as in a demo run with the file sink.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LineFileReader, type TruthRecord } from "@fieldline/simulator";
import { checkSerial, checkShutoff } from "../../scripts/platform/checks";

const sent = [20.5, 21, 21.25, 22];
const truth: TruthRecord[] = sent.map((value, i) => ({ type: "reading", device: "boiler-0001", site: "plant", sensor: "temp", t: 1_000 + i * 1000, value, boot: "b", seq: i }) as TruthRecord);

describe("checkSerial", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "fl-e2e-checks-"));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  async function check(values: number[]) {
    const path = join(dir, `${values.join("_")}.lp`);
    // The agent's own timestamps: unrelated to the simulator's, increasing.
    await writeFile(path, values.map((v, i) => `telemetry,site=plant,device=boiler-0001,sensor=temp value=${v} ${5_000_000 + i * 997}\n`).join(""));
    return checkSerial(truth, new LineFileReader({ path }), { start: 0, end: 10_000_000 });
  }

  it("passes when every value is stored once, in order", async () => {
    expect(await check(sent)).toMatchObject({ ok: true, expected: 4, stored: 4, matched: 4, missing: 0, extra: 0, outOfOrder: [] });
  });

  it("counts a missing reading", async () => {
    expect(await check([20.5, 21, 22])).toMatchObject({ ok: false, missing: 1, extra: 0 });
  });

  it("counts a doubled reading", async () => {
    expect(await check([20.5, 21, 21, 21.25, 22])).toMatchObject({ ok: false, missing: 0, extra: 1 });
  });

  it("flags values stored out of order", async () => {
    expect(await check([20.5, 21.25, 21, 22])).toMatchObject({ ok: false, missing: 0, extra: 0, outOfOrder: ["boiler-0001/temp"] });
  });

  it("counts an altered value as missing and extra", async () => {
    expect(await check([20.5, 21, 21.26, 22])).toMatchObject({ ok: false, missing: 1, extra: 1 });
  });
});

describe("checkShutoff", () => {
  it("latency is GPIO write time minus the arrival of the frame that tripped the rule", () => {
    const fired = { v: 1 as const, device: "boiler-0001", boot: "b", seq: 3, t: 1000, type: "rule-fired", rule: "r", data: { cause: [{ sensor: "temp", t: 1000, value: 99 }] } };
    expect(checkShutoff("boiler-0001", "r", { line: 17, value: 0, t: 1002 }, fired, 0)).toEqual({ device: "boiler-0001", rule: "r", gpioAt: 1002, frameAt: 1000, latencyMs: 2, latched: true, eventDelivered: true });
    expect(checkShutoff("boiler-0001", "r", { line: 17, value: 0, t: 1002 }, undefined, 1)).toEqual({ device: "boiler-0001", rule: "r", gpioAt: 1002, latched: false, eventDelivered: false });
  });
});
