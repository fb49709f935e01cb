import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runDetect } from "../../src/detection/index.ts";

describe("detect CLI", () => {
  it("writes <out>/<category>/<file>.csv with timestamp,value,anomaly_score for every row", async () => {
    const tmp = mkdtempSync(join(tmpdir(), "detect-"));
    try {
      mkdirSync(join(tmp, "in", "cat"), { recursive: true });
      const rows = Array.from({ length: 600 }, (_, i) => `2024-01-01 ${String(Math.floor(i / 60) % 24).padStart(2, "0")}:${String(i % 60).padStart(2, "0")}:00,${Math.sin(i / 10)}`);
      writeFileSync(join(tmp, "in", "cat", "s.csv"), ["timestamp,value", ...rows].join("\n") + "\n");
      const log = process.stdout.write;
      process.stdout.write = () => true;
      const code = await runDetect([join(tmp, "in"), join(tmp, "out")]).finally(() => (process.stdout.write = log));
      expect(code).toBe(0);
      const lines = readFileSync(join(tmp, "out", "cat", "s.csv"), "utf8").trim().split("\n");
      expect(lines[0]).toBe("timestamp,value,anomaly_score");
      expect(lines).toHaveLength(601);
      expect(lines[1]!.split(",").slice(0, 2)).toEqual(rows[0]!.split(","));
      for (const l of lines.slice(1)) {
        const s = Number(l.split(",")[2]);
        expect(s >= 0 && s <= 1).toBe(true);
      }
      expect(await runDetect([])).toBe(2);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
