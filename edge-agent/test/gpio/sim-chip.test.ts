import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { join } from "node:path";
import { existsSync } from "node:fs";
import { gpioRegistry } from "../../src/gpio/registry";
import { SimGpioChip } from "../../src/gpio/sim/chip";
import { SimGpioClient } from "../../src/gpio/sim/client";
import { simGpioSchema } from "../../src/gpio/sim/config";
import { GpioError } from "../../src/gpio/chip";
import { tempDir, until } from "../inputs/helpers/tmp";

describe("sim GPIO chip over a Unix socket", () => {
  let tmp: ReturnType<typeof tempDir>;
  let chip: SimGpioChip;
  let client: SimGpioClient;

  beforeEach(async () => {
    tmp = tempDir();
    const socket = join(tmp.dir, "gpio.sock");
    chip = gpioRegistry.sim!.create({
      type: "sim",
      socket,
      lines: 32,
      names: { VALVE: 17, DOOR: 4 },
    }) as SimGpioChip;
    await chip.open();
    client = new SimGpioClient({ socket });
    await client.connect();
  });
  afterEach(async () => {
    await client.close();
    await chip.close();
    tmp.cleanup();
  });

  it("reports output writes to watchers, by offset, with the initial level", async () => {
    await client.watch();
    const valve = await chip.output("VALVE", 0);
    valve.set(1);
    valve.set(0);
    await until(() => client.outputs.length === 3, 2000, "3 output events");
    expect(client.outputs.map((e) => [e.line, e.value])).toEqual([
      [17, 0],
      [17, 1],
      [17, 0],
    ]);
    expect(await client.get("VALVE")).toEqual({ line: 17, value: 0, direction: "output" });
    expect(valve.get()).toBe(0);
  });

  it("delivers client-set input levels as edges, filtered by edge kind", async () => {
    const both: [number, number][] = [];
    const rising: number[] = [];
    await chip.input("DOOR", "both", (v, t) => both.push([v, t]));
    await chip.input(5, "rising", (v) => rising.push(v));
    await client.set("DOOR", 1);
    await client.set("DOOR", 1); // no edge: same level
    await client.set("DOOR", 0);
    await client.set(5, 1);
    await client.set(5, 0);
    expect(both.map(([v]) => v)).toEqual([1, 0]);
    expect(both.every(([, t]) => Number.isInteger(t))).toBe(true);
    expect(rising).toEqual([1]);
  });

  it("keeps a level set before the line is requested", async () => {
    await client.set(9, 1);
    const line = await chip.input(9, "both", () => undefined);
    expect(line.get()).toBe(1);
  });

  it("refuses bad requests with clear errors, over the socket and in-process", async () => {
    await chip.output(3, 1);
    await expect(client.set(3, 0)).rejects.toThrow(/line 3 is an output/);
    await expect(client.set(99, 1)).rejects.toThrow(/out of range/);
    await expect(client.get("NOPE")).rejects.toThrow(/no line named "NOPE"/);
    await expect(chip.output(3, 0)).rejects.toBeInstanceOf(GpioError);
    await expect(chip.input("NOPE", "both", () => undefined)).rejects.toThrow(/no line named/);
    const lines = await client.list();
    expect(lines).toHaveLength(32);
    expect(lines[17]).toEqual({ line: 17, name: "VALVE", direction: "free", value: 0 });
    expect(lines[3]).toMatchObject({ direction: "output", value: 1 });
  });

  it("a released line can be requested again; close removes the socket", async () => {
    const l = await chip.output(2, 1);
    await l.release();
    const again = await chip.input(2, "both", () => undefined);
    expect(again.get()).toBe(1);
    const socket = (chip.address() as { socket: string }).socket;
    await client.close();
    await chip.close();
    expect(existsSync(socket)).toBe(false);
  });
});

describe("sim GPIO chip over loopback TCP", () => {
  it("listens on a free port when given port 0", async () => {
    const chip = new SimGpioChip(simGpioSchema.parse({ type: "sim", port: 0 }));
    await chip.open();
    const addr = chip.address() as { port: number };
    expect(addr.port).toBeGreaterThan(0);
    const client = new SimGpioClient(addr);
    await client.connect();
    await client.watch();
    const out = await chip.output(1, 1);
    out.set(0);
    await client.waitForOutput(1, 0, 2000);
    await client.close();
    await chip.close();
  });

  it("config needs exactly one of socket or port", () => {
    const r = simGpioSchema.safeParse({ type: "sim" });
    expect(r.success).toBe(false);
    expect(simGpioSchema.safeParse({ type: "sim", socket: "/tmp/x", port: 1 }).success).toBe(false);
  });
});
