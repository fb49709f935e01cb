/**
 * aedes-persistence's own contract suite (`abstract.js`, written for node:test) run under
 * vitest against each persistence the broker can be given in-process: the memory
 * implementation it ships and the disk persistence. `t.plan(n)` is honoured: a test that
 * plans n assertions must make exactly n.
 */
import nodeAssert from "node:assert";
import { createRequire } from "node:module";
import { afterAll, describe, expect, it } from "vitest";
import { tempDir, type TempDir } from "@fieldline/test-support";
import { DiskPersistence } from "../../src/persistence/disk-persistence.ts";

const require = createRequire(import.meta.url);
type TestFn = (t: unknown) => Promise<void>;
const abstractSuite = require("aedes-persistence/abstract.js") as (opts: {
  test: (name: string, fn: TestFn) => void;
  persistence: () => unknown;
  testAsync: boolean;
}) => void;
const MemoryPersistence = require("aedes-persistence/asyncPersistence.js") as new () => unknown;

/** node:test's `t` as the suite uses it: plan, assert (counted), diagnostic. */
function nodeTestShim(name: string, fn: TestFn): void {
  it(name, async () => {
    let planned: number | undefined;
    let made = 0;
    const assert = new Proxy(nodeAssert, {
      get(target, prop) {
        const f = (target as unknown as Record<string | symbol, unknown>)[prop];
        if (typeof f !== "function") return f;
        return (...args: unknown[]) => {
          made++;
          return (f as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    await fn({ plan: (n: number) => (planned = n), assert, diagnostic: () => undefined });
    // two tests plan nothing: they pass by not throwing
    if (planned !== undefined) expect(made).toBe(planned);
  });
}

describe("aedes-persistence contract: memory (reference)", () => {
  abstractSuite({ test: nodeTestShim, persistence: () => new MemoryPersistence(), testAsync: true });
});

describe("aedes-persistence contract: disk", () => {
  const dirs: TempDir[] = [];
  afterAll(async () => {
    for (const d of dirs) await d.remove();
  });
  abstractSuite({
    test: nodeTestShim,
    persistence: async () => {
      const d = await tempDir("fl-disk-contract-");
      dirs.push(d);
      return new DiskPersistence({ dir: d.path });
    },
    testAsync: true,
  });
});
