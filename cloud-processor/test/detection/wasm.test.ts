import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compileWat } from "../../scripts/wat.ts";
import { KnnScale, type KnnParams } from "../../src/detection/knn.ts";
import { ReferenceKnnScale } from "../../src/detection/knn-reference.ts";
import { Arena, ArenaPool } from "../../src/detection/wasm/arena.ts";
import { SEARCH_WASM } from "../../src/detection/wasm/search-wasm.ts";

const dir = join(import.meta.dirname, "../../src/detection/wasm");

describe("search kernel", () => {
  it("the committed module is what search.wat compiles to", async () => {
    const bytes = await compileWat(readFileSync(join(dir, "search.wat"), "utf8"));
    expect(Buffer.from(SEARCH_WASM, "base64").equals(Buffer.from(bytes))).toBe(true);
  });

  it("arena blocks are aligned, zeroed, reused after dispose, and views survive growth", () => {
    const a = new Arena();
    const owner = {};
    const p1 = a.alloc(100, owner);
    expect(p1 % 16).toBe(0);
    expect(p1).toBeGreaterThanOrEqual(16); // the guard below the first block
    new Uint8Array(a.buffer, p1, 100).fill(7);
    const q1 = a.alloc(40, owner);
    a.dispose(owner);
    const p2 = a.alloc(100, {});
    expect(p2).toBe(p1);
    expect(a.alloc(40)).toBe(q1);
    expect([...new Uint8Array(a.buffer, p2, 100)].every((b) => b === 0)).toBe(true);
    const gen = a.generation;
    a.alloc(3 * 65536);
    expect(a.generation).toBeGreaterThan(gen);
  });

  it("a full arena refuses, and the pool starts another", () => {
    const a = new Arena(4096);
    a.alloc(2000);
    expect(a.fits(4000)).toBe(false);
    expect(() => a.alloc(4000)).toThrow(/arena full/);
    const pool = new ArenaPool(4096);
    const first = pool.for(3000);
    first.alloc(3000);
    const second = pool.for(3000);
    expect(second).not.toBe(first);
    expect(pool.arenas).toHaveLength(2);
  });

  it("many scales sharing one memory that grows under them keep bit-identical results", () => {
    // Interleaved series, each new scale allocated mid-stream so the memory grows while
    // earlier scales hold views of it.
    const p: KnnParams = { dim: 5, step: 2, ref: 300, stride: 2, k: 2, predictK: 3 };
    const fast: KnnScale[] = [];
    const ref: ReferenceKnnScale[] = [];
    let seed = 11;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let t = 0; t < 3000; t++) {
      if (t % 100 === 0 && fast.length < 25) {
        fast.push(new KnnScale(p));
        ref.push(new ReferenceKnnScale(p));
      }
      for (let i = 0; i < fast.length; i++) {
        const x = Math.sin((t + 13 * i) / (7 + i)) + rnd() * 0.1 + (t % 500 === 250 ? 3 : 0);
        const a = fast[i]!.update(x);
        const b = ref[i]!.update(x);
        if (!Object.is(a.novelty, b.novelty) || !Object.is(a.error, b.error)) expect({ t, i, ...a }).toEqual({ t, i, ...b });
      }
    }
  });
});
