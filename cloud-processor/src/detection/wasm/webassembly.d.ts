// The part of the WebAssembly JavaScript API that arena.ts uses. Node 20 has all of it, but
// @types/node 20 declares none of it and the DOM library is not for a server.
declare namespace WebAssembly {
  class Module {
    constructor(bytes: Uint8Array);
  }
  class Instance {
    constructor(module: Module, imports: Record<string, Record<string, unknown>>);
    readonly exports: Record<string, unknown>;
  }
  class Memory {
    readonly buffer: ArrayBuffer;
    grow(pages: number): number;
  }
}
