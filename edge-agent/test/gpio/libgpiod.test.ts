import { describe, expect, it } from "vitest";
import { existsSync, readdirSync } from "node:fs";
import { gpioRegistry } from "../../src/gpio/registry";
import { LibgpiodChipBackend } from "../../src/gpio/libgpiod/chip";
import { libgpiodSchema } from "../../src/gpio/libgpiod/config";
import { loadLibgpiod } from "../../src/gpio/libgpiod/load";
import { GpioError } from "../../src/gpio/chip";

// This machine's kernel has no GPIO (no /dev/gpiochip*): these tests check that the native
// module builds and loads against Debian's libgpiod, and that a missing chip or a missing
// module is a clear GpioError rather than a crash.
const chipsHere = existsSync("/dev")
  ? readdirSync("/dev").filter((f) => f.startsWith("gpiochip"))
  : [];

describe("libgpiod backend", () => {
  it("loads the optional native module built against libgpiod v1", () => {
    const mod = loadLibgpiod();
    expect(mod.version).toMatch(/^1\.\d+/);
    expect(mod.getChipNames()).toEqual(chipsHere);
  });

  it("reports a clear error when the chip does not exist", async () => {
    const chip = gpioRegistry.libgpiod!.create({ type: "libgpiod", chip: "gpiochip-absent" });
    const err = await chip.output(17, 0).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GpioError);
    expect((err as Error).message).toMatch(/cannot open GPIO chip "gpiochip-absent"/);
    expect((err as Error).message).toMatch(
      chipsHere.length ? /chips present/ : /no \/dev\/gpiochip\* on this machine/,
    );
    await chip.close();
  });

  it("reports a clear error when node-libgpiod is not installed, without touching other backends", async () => {
    const missing = () => {
      const err = new Error("Cannot find module 'node-libgpiod'");
      throw Object.assign(err, { code: "MODULE_NOT_FOUND" });
    };
    const chip = new LibgpiodChipBackend(libgpiodSchema.parse({ type: "libgpiod" }), Date.now, () =>
      loadLibgpiod(missing as unknown as NodeJS.Require),
    );
    await expect(chip.input(4, "both", () => undefined)).rejects.toThrow(
      /needs the optional native module node-libgpiod.*Cannot find module/,
    );
    // The sim backend still works in the same process.
    expect(() => gpioRegistry.sim!.create({ type: "sim", port: 0 })).not.toThrow();
  });

  it("config defaults and limits", () => {
    expect(libgpiodSchema.parse({ type: "libgpiod" })).toEqual({
      type: "libgpiod",
      chip: "gpiochip0",
      consumer: "fieldline",
      pollMs: 5,
    });
    expect(libgpiodSchema.safeParse({ type: "libgpiod", consumer: "x".repeat(40) }).success).toBe(
      false,
    );
  });
});
