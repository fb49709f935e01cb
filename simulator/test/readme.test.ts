import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { specReference } from "../src/spec/doc";

describe("README", () => {
  it("carries the current spec reference (regenerate: fieldline-sim spec-reference)", () => {
    const readme = readFileSync(resolve(import.meta.dirname, "../README.md"), "utf8");
    const m = /<!-- spec-reference:start -->\n([\s\S]*)\n<!-- spec-reference:end -->/.exec(readme);
    expect(m?.[1]?.trim()).toBe(specReference().trim());
  });

  it("the reference covers every source, injection and transport kind", () => {
    const ref = specReference();
    for (const kind of ["constant", "sine", "randomWalk", "noise", "steps", "replay", "sum", "product", "spike", "levelShift", "drift", "stuck", "dropout", "noiseBurst", "disconnect", "reboot", "garbage", "crcError", "clockSkew", "brokerOutage", "mqtt", "serial", "none"]) {
      expect(ref).toContain(`#### \`${kind}\``);
    }
  });
});
