import { describe, expect, it } from "vitest";
import { SpecError, parseSpec } from "../src/spec/load";
import { parseDuration } from "../src/duration";

const minimal = `
duration: 1h
profiles:
  p:
    sensors:
      temp: { source: { type: constant, value: 1 } }
devices:
  - { profile: p, prefix: d-, count: 3 }
`;

describe("fleet spec", () => {
  it("fills defaults", () => {
    const { spec } = parseSpec(minimal);
    expect(spec.seed).toBe(1);
    expect(spec.speed).toBe("max");
    expect(spec.transport).toEqual({ type: "none" });
    expect(spec.profiles.p!.sensors.temp!.interval).toBe(10_000);
    expect(spec.devices[0]!.site).toBe("site-1");
  });

  it("reports every error at once, with paths and lines", () => {
    const bad = `
duration: soon
profiles:
  p:
    sensors:
      temp: { interval: 5x, source: { type: sine, period: -1 } }
      "bad id": { source: { type: constant, value: 1 } }
devices:
  - { profile: q, prefix: d-, count: 2 }
  - { profile: p, id: one, count: 2 }
injections:
  - { type: spike, at: 1h }
  - { type: teleport, at: 1h }
`;
    let err: SpecError | undefined;
    try {
      parseSpec(bad, "fleet.yaml");
    } catch (e) {
      err = e as SpecError;
    }
    expect(err).toBeInstanceOf(SpecError);
    const paths = err!.issues.map((i) => i.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        "duration",
        "profiles.p.sensors.temp.interval",
        "profiles.p.sensors.temp.source.period",
        "devices[1].id",
        "injections[0].magnitude",
        "injections[1].type",
      ]),
    );
    expect(paths.some((p) => p.startsWith("profiles.p.sensors"))).toBe(true);
    const interval = err!.issues.find((i) => i.path === "profiles.p.sensors.temp.interval")!;
    expect(interval.line).toBe(6);
    expect(err!.message).toContain("fleet.yaml");
  });

  it("reports an unknown profile and duplicate ids after the shape checks pass", () => {
    const text = minimal.replace("- { profile: p, prefix: d-, count: 3 }", "- { profile: p, prefix: d-, count: 3 }\n  - { profile: x, id: d-0002 }");
    expect(() => parseSpec(text)).toThrow(/unknown profile "x"[\s\S]*d-0002 is used twice|d-0002 is used twice[\s\S]*unknown profile/);
  });

  it("reads YAML syntax errors with their line", () => {
    expect(() => parseSpec("duration: [1h\n")).toThrow(SpecError);
  });
});

describe("durations", () => {
  it.each([
    ["250ms", 250],
    ["10s", 10_000],
    ["1h30m", 5_400_000],
    ["1d", 86_400_000],
    ["1500", 1500],
    [42, 42],
  ] as const)("%s", (text, ms) => expect(parseDuration(text)).toBe(ms));
  it("rejects junk", () => {
    expect(parseDuration("5x")).toBeUndefined();
    expect(parseDuration("")).toBeUndefined();
    expect(parseDuration(-1)).toBeUndefined();
  });
});
