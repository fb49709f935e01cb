import { describe, expect, it } from "vitest";
import { BusScheduler } from "../../../src/inputs/modbus/scheduler";
import { until } from "../helpers/tmp";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("BusScheduler", () => {
  it("runs one job at a time, safety first, with the gap between transactions", async () => {
    const jobs = [
      { name: "low", priority: 2, everyMs: 1000 },
      { name: "normal", priority: 1, everyMs: 1000 },
      { name: "safety", priority: 0, everyMs: 1000 },
    ];
    const spans: { name: string; start: number; end: number }[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const s = new BusScheduler(jobs, { gapMs: 5 }, async (j) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      const start = performance.now();
      await sleep(3);
      spans.push({ name: j.name, start, end: performance.now() });
      inFlight--;
    });
    s.start();
    await until(() => spans.length >= 3, 5000, "three transactions");
    await s.stop();
    expect(maxInFlight).toBe(1);
    expect(spans.map((x) => x.name)).toEqual(["safety", "normal", "low"]);
    for (let i = 1; i < spans.length; i++)
      expect(spans[i]!.start - spans[i - 1]!.end).toBeGreaterThanOrEqual(4);
  });

  it("a fast safety job keeps its period while slower jobs share what is left", async () => {
    const runs: string[] = [];
    const s = new BusScheduler(
      [
        { name: "safety", priority: 0, everyMs: 20 },
        { name: "slow", priority: 1, everyMs: 20 },
      ],
      { gapMs: 1 },
      async (j) => {
        runs.push(j.name);
        await sleep(j.name === "slow" ? 15 : 1);
      },
    );
    s.start();
    await until(() => runs.length >= 12, 10_000, "12 transactions");
    await s.stop();
    // Timers on a loaded 2-core machine are late by several ms, so only relations are checked:
    // both get the bus, and the safety job at least as often as the slow one.
    const safety = runs.filter((r) => r === "safety").length;
    const slow = runs.filter((r) => r === "slow").length;
    expect(slow).toBeGreaterThanOrEqual(2);
    expect(safety).toBeGreaterThanOrEqual(slow);
    // Whenever both were due, safety went first: it never runs twice behind a waiting slow job.
    expect(runs[0]).toBe("safety");
  });

  it("counts overruns when the bus is over-subscribed, and stop waits for the transaction in flight", async () => {
    let finished = 0;
    const s = new BusScheduler([{ priority: 1, everyMs: 5 }], { gapMs: 0 }, async () => {
      await sleep(20);
      finished++;
    });
    s.start();
    await sleep(70);
    const before = finished;
    await s.stop();
    expect(finished).toBeGreaterThanOrEqual(before);
    expect(s.counters.runs).toBe(finished);
    expect(s.counters.overruns).toBeGreaterThan(0);
  });

  it("pick: highest priority first, then the one due longest; else the wait until the next", () => {
    let now = 0;
    const jobs = [
      { name: "n1", priority: 1, everyMs: 100 },
      { name: "n2", priority: 1, everyMs: 30 },
      { name: "s", priority: 0, everyMs: 50 },
    ];
    const s = new BusScheduler(jobs, { gapMs: 1, now: () => now }, async () => undefined);
    const slots = (s as unknown as { slots: { job: { name: string }; next: number }[] }).slots;
    const name = (p: ReturnType<typeof s.pick>) => (typeof p === "number" ? p : p.job.name);
    slots[0]!.next = 10;
    slots[1]!.next = 5;
    slots[2]!.next = 20;
    now = 25;
    expect(name(s.pick(now))).toBe("s"); // all due: safety first
    slots[2]!.next = 70;
    expect(name(s.pick(now))).toBe("n2"); // both normal due: n2 has waited longer
    slots[0]!.next = 40;
    slots[1]!.next = 33;
    expect(name(s.pick(now))).toBe(8); // none due: wait for n2
  });

  it("pick: waits for the earliest due job when none is due", () => {
    const s = new BusScheduler(
      [
        { priority: 0, everyMs: 100 },
        { priority: 1, everyMs: 50 },
      ],
      { gapMs: 1, now: () => 0 },
      async () => undefined,
    );
    // Not started: every slot is due at 0.
    const first = s.pick(0);
    expect(typeof first === "object" && first.job.priority).toBe(0);
  });
});
