/**
 * Every golden vector decodes identically in an implementation that shares no code with
 * ours: scripts/check-vectors.py, with Debian's python3-cbor2 for CBOR, zlib for the CRC and
 * its own COBS. (Debian's cbor2 loads only under /usr/bin/python3.)
 */
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..");
const SCRIPT = join(ROOT, "scripts", "check-vectors.py");
const VECTORS = join(ROOT, "vectors");
const PYTHON = "/usr/bin/python3";

interface Summary {
  checked: number;
  failures: { vector: string; problem: string }[];
  cbor2: string;
}

function check(dir: string): { status: number | null; summary: Summary } {
  const r = spawnSync(PYTHON, [SCRIPT, dir], { encoding: "utf8", timeout: 60_000 });
  if (r.error) throw r.error;
  if (!r.stdout) throw new Error(`check-vectors.py printed nothing: ${r.stderr}`);
  return { status: r.status, summary: JSON.parse(r.stdout) as Summary };
}

const temp: string[] = [];
afterAll(() => temp.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe("vectors in python3-cbor2", () => {
  it("uses Debian's cbor2", () => {
    expect(
      execFileSync(PYTHON, ["-c", "import cbor2; print(cbor2.__file__)"], { encoding: "utf8" }),
    ).toMatch(/^\/usr\/lib\/python3\/dist-packages\/cbor2\//);
  });

  it("decodes every vector to the same JSON", () => {
    const { status, summary } = check(VECTORS);
    expect(summary.failures).toEqual([]);
    expect(status).toBe(0);
    expect(summary.checked).toBeGreaterThanOrEqual(40);
  });

  it("notices a vector whose JSON disagrees with its bytes", () => {
    const dir = mkdtempSync(join(tmpdir(), "fl-vectors-"));
    temp.push(dir);
    cpSync(VECTORS, dir, { recursive: true });
    const file = join(dir, "payloads", "telemetry-basic.json");
    const v = JSON.parse(readFileSync(file, "utf8"));
    v.decoded.readings[0].t += 1;
    writeFileSync(file, JSON.stringify(v));
    const { status, summary } = check(dir);
    expect(status).toBe(1);
    expect(summary.failures).toEqual([
      {
        vector: "payloads/telemetry-basic.json",
        problem: expect.stringContaining("readings[0].t"),
      },
    ]);
  });
});
