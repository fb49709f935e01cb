import { z } from "zod";
import { RuleSchema } from "./schema.ts";

/**
 * JSON Schema (draft 2020-12) of a rules file as operators write it, generated from the
 * same zod schema the parser uses. Editors use it for completion and inline errors, e.g.
 * with the YAML language server: `# yaml-language-server: $schema=rules.schema.json`.
 * Consistency checks (clear levels, band order) are only in the parser.
 */
export function rulesJsonSchema(): Record<string, unknown> {
  const file = z.strictObject({
    version: z.literal(1).optional(),
    rules: z.array(RuleSchema),
  });
  return {
    ...z.toJSONSchema(file, { io: "input", unrepresentable: "any" }),
    title: "Fieldline rules file",
  };
}
