import { describe, expect, it } from "vitest";
import { Deduper } from "../../src/ingest/dedupe.ts";

describe("Deduper", () => {
  it("first message of a device is a (re)boot, then new, duplicate, gap, late", () => {
    const d = new Deduper({ window: 64 });
    expect(d.check("a", "b1", 0)).toEqual({ kind: "reboot", previousBoot: undefined });
    expect(d.check("a", "b1", 1)).toEqual({ kind: "new" });
    expect(d.check("a", "b1", 1)).toEqual({ kind: "duplicate" });
    expect(d.check("a", "b1", 5)).toEqual({ kind: "gap", from: 2, to: 4, missing: 3 });
    expect(d.check("a", "b1", 3)).toEqual({ kind: "late" });
    expect(d.check("a", "b1", 3)).toEqual({ kind: "duplicate" });
    expect(d.check("a", "b1", 0)).toEqual({ kind: "duplicate" });
  });

  it("a new boot id is a reboot; the previous boot is still remembered", () => {
    const d = new Deduper({ window: 64, bootsPerDevice: 2 });
    d.check("a", "b1", 10);
    expect(d.check("a", "b2", 0)).toEqual({ kind: "reboot", previousBoot: "b1" });
    expect(d.check("a", "b1", 10)).toEqual({ kind: "duplicate" });
    d.check("a", "b3", 0);
    // b1 evicted (bounded): it looks like a reboot again.
    expect(d.check("a", "b1", 10).kind).toBe("reboot");
  });

  it("keeps constant memory per boot: seqs older than the window are accepted as too-old", () => {
    const d = new Deduper({ window: 64 });
    d.check("a", "b", 0);
    for (let s = 1; s <= 1000; s++) expect(d.check("a", "b", s).kind).toBe("new");
    expect(d.check("a", "b", 1000 - 63).kind).toBe("duplicate");
    expect(d.check("a", "b", 1000 - 64).kind).toBe("too-old");
  });

  it("a jump larger than the window clears old bits", () => {
    const d = new Deduper({ window: 32 });
    d.check("a", "b", 0);
    expect(d.check("a", "b", 100)).toEqual({ kind: "gap", from: 1, to: 99, missing: 99 });
    expect(d.check("a", "b", 96).kind).toBe("late");
    expect(d.check("a", "b", 100).kind).toBe("duplicate");
  });
});
