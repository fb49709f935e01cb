// docs/inputs.md embeds one config table per input and GPIO backend, generated from the
// schemas; this keeps them current (UPDATE_GOLDEN=1 rewrites them; then run prettier on the
// file: cell padding is ignored by the comparison).
import { describe, expect, it } from "vitest";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { configTable } from "../../src/inputs/config-doc";
import { inputRegistry } from "../../src/inputs/registry";
import { gpioRegistry } from "../../src/gpio/registry";

const file = join(import.meta.dirname, "..", "..", "docs", "inputs.md");
const kinds = { ...inputRegistry, ...gpioRegistry };

/** Table cells without padding, so a formatter's column alignment does not matter. */
const normalize = (table: string) =>
  table
    .trim()
    .split("\n")
    .map((row) =>
      row
        .split(/(?<!\\)\|/)
        .map((c) => c.trim())
        .map((c) => (/^:?-+:?$/.test(c) ? "---" : c))
        .join("|"),
    )
    .join("\n");

describe("docs/inputs.md", () => {
  it("has a current config table for every input and GPIO backend", () => {
    const doc = readFileSync(file, "utf8");
    let updated = doc;
    for (const [name, k] of Object.entries(kinds)) {
      const re = new RegExp(`<!-- config:${name} -->\\n([\\s\\S]*?)\\n<!-- /config -->`);
      const m = doc.match(re);
      expect(m, `markers for ${name}`).not.toBeNull();
      const want = configTable(k.schema);
      updated = updated.replace(re, `<!-- config:${name} -->\n${want}\n<!-- /config -->`);
      if (!process.env.UPDATE_GOLDEN)
        expect(normalize(m![1]!), `config table of ${name}`).toBe(normalize(want));
    }
    if (process.env.UPDATE_GOLDEN) writeFileSync(file, updated);
  });

  it("every YAML config example is valid for its kind", () => {
    const doc = readFileSync(file, "utf8");
    const blocks = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map(
      (m) => parseYaml(m[1]!) as Record<string, unknown>,
    );
    let checked = 0;
    for (const b of blocks) {
      for (const input of (b.inputs as { type: string }[] | undefined) ?? []) {
        inputRegistry[input.type]!.schema.parse(input);
        checked++;
      }
      const chip = (b.gpio as { chip?: { type: string } } | undefined)?.chip;
      if (chip) {
        gpioRegistry[chip.type]!.schema.parse(chip);
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(Object.keys(kinds).length);
  });
});
