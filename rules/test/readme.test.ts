// The README is the operator's reference: every YAML example in it must be a valid rules
// file, and the error listing it shows must be what `check` really prints.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatIssue, parseRules, RulesError } from "../src/index.ts";

const readme = readFileSync(join(import.meta.dirname, "..", "README.md"), "utf8");
const yamlBlocks = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);

describe("README", () => {
  it("has examples", () => expect(yamlBlocks.length).toBeGreaterThanOrEqual(10));

  yamlBlocks.forEach((text, i) => {
    const first = text.split("\n").find((l) => l.includes("id:")) ?? `block ${i}`;
    it(`example ${i + 1} (${first.trim()}) is a valid rules file`, () => {
      expect(parseRules(text, `README-${i + 1}.yaml`).rules.length).toBeGreaterThan(0);
    });
  });

  it("shows the errors check prints for the broken first example", () => {
    const broken = yamlBlocks[0]!
      .replace("above: 95", "above: ninety")
      .replace("for: 30s", "for: soon")
      .replace("  - id: boiler-silent\n", "  - id: boiler-silent\n    severty: warning\n");
    const shown = readme
      .match(/```text\n(site\.yaml:[\s\S]*?)```/)![1]!
      .trim()
      .split("\n");
    try {
      parseRules(broken, "site.yaml");
      expect.unreachable("the broken example must not parse");
    } catch (e) {
      expect(e).toBeInstanceOf(RulesError);
      expect((e as RulesError).issues.map(formatIssue)).toEqual(shown);
    }
  });
});
