/** The README's config reference is generated from the schema; this keeps the two in step. */
import { readFile } from "node:fs/promises";
import { expect, it } from "vitest";
import { configReference } from "../src/config-doc.ts";

it("broker/README.md holds the config reference generated from the schema", async () => {
  const readme = await readFile(new URL("../README.md", import.meta.url), "utf8");
  const m = /<!-- config-reference:start -->\n([\s\S]*?)\n<!-- config-reference:end -->/.exec(readme);
  expect(m?.[1]).toBe(configReference());
});
