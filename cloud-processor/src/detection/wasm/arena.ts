/**
 * WebAssembly memory for the k-NN search's arrays, and the search kernel that runs over them
 * (search.wat). The kernel can only read its own instance's memory, so the averaged values,
 * running distances, query and n best of every KnnScale live there: each scale takes blocks
 * from an arena and views them as typed arrays.
 *
 * - Blocks are 16-byte aligned with a guard below the first and above the last (the kernel
 *   may load 8 bytes beyond what it uses), zero-filled when handed out, and go back to a free list of their
 *   size when their owner is garbage-collected (FinalizationRegistry) or disposed.
 * - Growing a memory replaces its ArrayBuffer, which detaches every view: owners compare
 *   `generation` before touching their views and rebuild them when it moved.
 * - One memory holds at most MAX_BYTES; past it a new instance (a new arena) is started, so
 *   the number of series is bounded by the machine, not by one 32-bit memory.
 */
import "./webassembly.ts";
import { SEARCH_WASM } from "./search-wasm.ts";

const PAGE = 65536;
const ALIGN = 16;
/** Largest memory of one instance (wasm32 allows 4 GiB; smaller arenas grow in smaller copies). */
const MAX_BYTES = 1024 * 2 ** 20;

/** See search.wat for what each argument is. */
export type SearchKernel = (
  acc: number,
  count: number,
  p: number,
  spanB: number,
  strideB: number,
  newest: number,
  leaving: number,
  tol: number,
  base: number,
  query: number,
  dim: number,
  stepB: number,
  best: number,
  age: number,
  next: number,
  n: number,
  span: number,
  stride: number,
  total: number,
) => void;

/** See search.wat. */
export type SeedKernel = (base: number, query: number, dim: number, stepB: number, best: number, age: number, next: number, n: number, seeds: number) => void;

let compiled: WebAssembly.Module | undefined;

function module(): WebAssembly.Module {
  compiled ??= new WebAssembly.Module(Buffer.from(SEARCH_WASM, "base64"));
  return compiled;
}

export class Arena {
  readonly seed: SeedKernel;
  readonly search: SearchKernel;
  private readonly memory: WebAssembly.Memory;
  /** Bumped whenever the memory grows (views of the old buffer are detached). */
  generation = 0;
  private top = ALIGN;
  private readonly free = new Map<number, number[]>();
  /** Blocks [ptr, size] per owner, released together when the owner is collected or disposed. */
  private readonly owned = new WeakMap<object, Array<[number, number]>>();
  private readonly finalizer = new FinalizationRegistry<Array<[number, number]>>((blocks) => this.releaseAll(blocks));

  /** `maxBytes`: most this arena's memory may hold (tests use small ones). */
  constructor(private readonly maxBytes = MAX_BYTES) {
    const instance = new WebAssembly.Instance(module(), {});
    const exports = instance.exports as { memory: WebAssembly.Memory; seed: SeedKernel; search: SearchKernel };
    this.memory = exports.memory;
    this.seed = exports.seed;
    this.search = exports.search;
  }

  get buffer(): ArrayBuffer {
    return this.memory.buffer;
  }

  /** Bytes in blocks handed out and not yet returned. */
  live = 0;

  /** True when `bytes` more can be taken from this arena. */
  fits(bytes: number): boolean {
    return (this.free.get(round(bytes))?.length ?? 0) > 0 || this.top + round(bytes) <= this.maxBytes;
  }

  /** A zero-filled block of `bytes`, returned to the free list when `owner` is collected or disposed. */
  alloc(bytes: number, owner?: object): number {
    const size = round(bytes);
    let ptr = this.free.get(size)?.pop();
    if (ptr === undefined) {
      if (this.top + size > this.maxBytes) throw new RangeError(`detector arena full (${this.maxBytes} bytes)`);
      ptr = this.top;
      this.top += size;
      // A guard above the last block too (the kernel may load 8 bytes past what it uses).
      this.reserve(this.top + ALIGN);
    }
    new Uint8Array(this.memory.buffer, ptr, size).fill(0);
    this.live += size;
    if (owner) {
      let blocks = this.owned.get(owner);
      if (!blocks) {
        this.owned.set(owner, (blocks = []));
        this.finalizer.register(owner, blocks, owner);
      }
      blocks.push([ptr, size]);
    }
    return ptr;
  }

  /** Returns every block taken for `owner` now rather than when it is collected. */
  dispose(owner: object): void {
    const blocks = this.owned.get(owner);
    if (!blocks) return;
    this.finalizer.unregister(owner);
    this.owned.delete(owner);
    this.releaseAll(blocks);
  }

  private releaseAll(blocks: Array<[number, number]>): void {
    for (const [ptr, size] of blocks) this.release(ptr, size);
  }

  private release(ptr: number, size: number): void {
    this.live -= size;
    let list = this.free.get(size);
    if (!list) this.free.set(size, (list = []));
    list.push(ptr);
  }

  private reserve(end: number): void {
    const have = this.memory.buffer.byteLength;
    if (end <= have) return;
    // Grow geometrically: each growth detaches every view, which their owners then rebuild.
    const want = Math.min(Math.max(end, 2 * have), Math.max(end, this.maxBytes));
    this.memory.grow(Math.ceil((want - have) / PAGE));
    this.generation++;
  }
}

function round(bytes: number): number {
  return Math.ceil(bytes / ALIGN) * ALIGN;
}

/** Arenas in the order they were started; new blocks come from the last. */
export class ArenaPool {
  readonly arenas: Arena[] = [];

  constructor(private readonly maxBytes = MAX_BYTES) {}

  /** The arena new blocks of `bytes` should come from (a new one when the current is full). */
  for(bytes: number): Arena {
    let a = this.arenas.at(-1);
    if (!a || !a.fits(bytes)) {
      a = new Arena(this.maxBytes);
      this.arenas.push(a);
    }
    return a;
  }
}

const pool = new ArenaPool();

/** Bytes of this thread's arenas in live blocks (what the detectors' k-NN arrays take). */
export function arenaLiveBytes(): number {
  return pool.arenas.reduce((sum, a) => sum + a.live, 0);
}

/** The arena of this thread that new blocks of `bytes` should come from. */
export function arenaFor(bytes: number): Arena {
  return pool.for(bytes);
}
