// Types for the part of the WebAssembly JavaScript API that arena.ts uses (no code). Node 20
// has all of it, but @types/node 20 declares none of it and the DOM library is not for a server.
declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace -- the global WebAssembly object is a namespace
  namespace WebAssembly {
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
}

export {};
