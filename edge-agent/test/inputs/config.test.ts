import { describe, expect, it } from "vitest";
import { z } from "zod";
import { inputRegistry } from "../../src/inputs/registry";
import { gpioRegistry } from "../../src/gpio/registry";

describe("input and GPIO config schemas", () => {
  it("each registry key is its schema's type literal, so one discriminated union covers them", () => {
    for (const reg of [inputRegistry, gpioRegistry]) {
      const union = z.discriminatedUnion(
        "type",
        Object.values(reg).map((k) => k.schema) as unknown as [z.ZodObject, ...z.ZodObject[]],
      );
      for (const key of Object.keys(reg)) {
        const r = union.safeParse({ type: key });
        // Missing required fields are reported against this kind's schema, not "no such type".
        if (!r.success) expect(r.error.issues.every((i) => i.path[0] !== "type")).toBe(true);
      }
      expect(union.safeParse({ type: "nope" }).success).toBe(false);
    }
  });

  it("reports every error at once, with its path", () => {
    const r = inputRegistry["modbus-rtu"]!.schema.safeParse({
      type: "modbus-rtu",
      path: "",
      points: [{ sensor: "a b", unit: 0, table: "coil", address: -1 }],
      reopen: { initialMs: 1 },
    });
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => i.path.join("."))).toEqual([
      "path",
      "points.0.sensor",
      "points.0.unit",
      "points.0.table",
      "points.0.address",
      "reopen.initialMs",
    ]);
  });

  it("fills defaults, including nested ones", () => {
    const cfg = inputRegistry["serial-frames"]!.schema.parse({
      type: "serial-frames",
      path: "/dev/ttyACM0",
    });
    expect(cfg).toEqual({
      type: "serial-frames",
      path: "/dev/ttyACM0",
      baudRate: 115200,
      maxFrameBytes: 4096,
      time: "host",
      reopen: { initialMs: 200, maxMs: 5000 },
    });
    const g = inputRegistry.gpio!.schema.parse({
      type: "gpio",
      lines: [{ sensor: "door", line: "DOOR" }],
    });
    expect(g.lines).toEqual([
      { sensor: "door", line: "DOOR", edge: "both", debounceMs: 20, activeLow: false },
    ]);
  });

  it("create() parses raw config and derives the id", () => {
    const src = inputRegistry.nmea!.create(
      { type: "nmea", path: "/dev/ttyAMA0" },
      { clock: Date.now },
    );
    expect(src.id).toBe("nmea:/dev/ttyAMA0");
    expect(() => inputRegistry.nmea!.create({ type: "nmea" }, { clock: Date.now })).toThrow(/path/);
  });
});
