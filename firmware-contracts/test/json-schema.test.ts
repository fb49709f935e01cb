/**
 * schema/*.json is generated from the zod schemas by scripts/gen-schema.ts. These tests keep
 * the checked-in files current and check that they describe the golden vectors: Debian's
 * python3-jsonschema (draft-07) accepts every valid vector and rejects the schema-error ones.
 */
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildJsonSchemas } from "../scripts/schema/build";

const ROOT = join(import.meta.dirname, "..");
const SCHEMA = join(ROOT, "schema");

function pythonCheck(schemaDir: string) {
  const r = spawnSync(
    "/usr/bin/python3",
    [join(ROOT, "scripts", "check-vectors.py"), join(ROOT, "vectors"), "--schemas", schemaDir],
    {
      encoding: "utf8",
      timeout: 60_000,
    },
  );
  if (r.error) throw r.error;
  if (!r.stdout) throw new Error(`check-vectors.py printed nothing: ${r.stderr}`);
  return {
    status: r.status,
    summary: JSON.parse(r.stdout) as { checked: number; schemas: boolean; failures: unknown[] },
  };
}

const temp: string[] = [];
afterAll(() => temp.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe("JSON Schema export", () => {
  it("is up to date (run `npx tsx firmware-contracts/scripts/gen-schema.ts`)", async () => {
    const built = await buildJsonSchemas();
    expect(readdirSync(SCHEMA).sort()).toEqual([...built.keys()].sort());
    for (const [name, text] of built)
      expect(readFileSync(join(SCHEMA, name), "utf8"), name).toBe(text);
    expect(built.size).toBe(14);
  });

  it("allows unknown properties and spells sensor values as plain numbers", () => {
    const telemetry = JSON.parse(readFileSync(join(SCHEMA, "payload-telemetry.json"), "utf8"));
    expect(telemetry.$schema).toBe("http://json-schema.org/draft-07/schema#");
    expect(telemetry.additionalProperties).toBeUndefined();
    expect(telemetry.properties.readings.maxItems).toBe(1000);
    expect(telemetry.properties.readings.items.properties.value.type).toBe("number");
    expect(telemetry.properties.readings.items.properties.t.type).toBe("integer");
  });

  it("accepts every valid vector and rejects the schema-error vectors in python3-jsonschema", () => {
    const { status, summary } = pythonCheck(SCHEMA);
    expect(summary).toMatchObject({ failures: [], schemas: true });
    expect(summary.checked).toBeGreaterThanOrEqual(40);
    expect(status).toBe(0);
  });

  it("is really consulted: a tightened schema makes the check fail", () => {
    const dir = mkdtempSync(join(tmpdir(), "fl-schema-"));
    temp.push(dir);
    cpSync(SCHEMA, dir, { recursive: true });
    const file = join(dir, "frame-hello.json");
    const schema = JSON.parse(readFileSync(file, "utf8"));
    schema.properties.sensors.maxItems = 1;
    writeFileSync(file, JSON.stringify(schema));
    const { status, summary } = pythonCheck(dir);
    expect(status).toBe(1);
    expect(summary.failures).toEqual([
      { vector: "frames/hello.json", problem: expect.stringContaining("frame-hello.json") },
    ]);
  });
});
