import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { join } from "node:path";
import { inputRegistry } from "../../src/inputs/registry";
import { SimGpioChip } from "../../src/gpio/sim/chip";
import { SimGpioClient } from "../../src/gpio/sim/client";
import { simGpioSchema } from "../../src/gpio/sim/config";
import { Debouncer } from "../../src/inputs/gpio/debounce";
import { RecordingSink } from "./helpers/sink";
import { tempDir, until } from "./helpers/tmp";
import { readingSourceContract } from "./contract";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("Debouncer", () => {
  it("accepts a level that holds, with the time of its first edge; ignores bounces", async () => {
    const got: [number, number][] = [];
    const d = new Debouncer(0, 20, (v, t) => got.push([v, t]));
    d.edge(1, 100);
    d.edge(0, 101); // bounce back
    d.edge(1, 102);
    d.edge(0, 103);
    await sleep(40);
    expect(got).toEqual([]);
    d.edge(1, 200);
    await sleep(40);
    expect(got).toEqual([[1, 200]]);
    expect(d.level).toBe(1);
  });

  it("with 0 ms passes every change through", () => {
    const got: number[] = [];
    const d = new Debouncer(1, 0, (v) => got.push(v));
    d.edge(0, 1);
    d.edge(1, 2);
    d.edge(1, 3);
    expect(got).toEqual([0, 1]);
  });
});

describe("gpio input over the sim chip", () => {
  let tmp: ReturnType<typeof tempDir>;
  let chip: SimGpioChip;
  let client: SimGpioClient;

  beforeEach(async () => {
    tmp = tempDir();
    chip = new SimGpioChip(
      simGpioSchema.parse({ type: "sim", socket: join(tmp.dir, "g.sock"), names: { DOOR: 6 } }),
    );
    await chip.open();
    client = new SimGpioClient({ socket: join(tmp.dir, "g.sock") });
    await client.connect();
  });
  afterEach(async () => {
    await client.close();
    await chip.close();
    tmp.cleanup();
  });

  it("reports the initial level, then debounced changes; activeLow inverts; edge filters", async () => {
    await client.set(7, 1);
    const src = inputRegistry.gpio!.create(
      {
        type: "gpio",
        lines: [
          { sensor: "door", line: "DOOR", debounceMs: 15 },
          { sensor: "estop", line: 7, activeLow: true, debounceMs: 0, edge: "rising" },
        ],
      },
      { clock: Date.now, gpio: chip },
    );
    const sink = new RecordingSink();
    await src.start(sink);
    expect(sink.all.map((r) => [r.sensor, r.value])).toEqual([
      ["door", 0],
      ["estop", 0],
    ]);
    // A bouncing contact: only the settled level is reported.
    for (const v of [1, 0, 1, 0, 1] as const) await client.set("DOOR", v);
    await until(() => sink.of("door").length === 2, 2000, "debounced door reading");
    await sleep(30);
    expect(sink.of("door").map((r) => r.value)).toEqual([0, 1]);
    // estop active-low, rising edge of the logical level only: line 1->0 is logical 0->1.
    await client.set(7, 0);
    await client.set(7, 1);
    await client.set(7, 0);
    expect(sink.of("estop").map((r) => r.value)).toEqual([0, 1, 1]);
    await src.stop();
    expect((await client.list())[6]!.direction).toBe("free");
  });

  it("fails to start without a GPIO chip", async () => {
    const src = inputRegistry.gpio!.create(
      { type: "gpio", lines: [{ sensor: "x", line: 1 }] },
      { clock: Date.now },
    );
    await expect(src.start(new RecordingSink())).rejects.toThrow(/no GPIO chip/);
  });

  readingSourceContract("gpio", async () => {
    return {
      source: inputRegistry.gpio!.create(
        { type: "gpio", id: "door-in", lines: [{ sensor: "door", line: 6, debounceMs: 0 }] },
        { clock: Date.now, gpio: chip },
      ),
      produce: async () => {
        const level = (await client.get(6)).value;
        await client.set(6, level ? 0 : 1);
      },
    };
  });
});
