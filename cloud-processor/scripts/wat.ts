import wabtInit from "wabt";

/** WebAssembly text to binary (SIMD is on by default in wabt). */
export async function compileWat(source: string, name = "search.wat"): Promise<Uint8Array> {
  const wabt = await wabtInit();
  const mod = wabt.parseWat(name, source);
  try {
    mod.validate();
    return Uint8Array.from(mod.toBinary({}).buffer);
  } finally {
    mod.destroy();
  }
}
