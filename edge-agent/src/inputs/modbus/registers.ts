/**
 * Register decoding: u16/i16 from one register, u32/i32/f32 from two. Bytes within a
 * register are big-endian (Modbus); `wordOrder` "big" puts the high word in the lower
 * address (AB CD), "little" swaps the words (CD AB), as many meters do.
 * value = raw * scale + offset.
 */
import type { registerTypes } from "./config";

export type RegisterType = (typeof registerTypes)[number];

export function registerCount(type: RegisterType): 1 | 2 {
  return type === "u16" || type === "i16" ? 1 : 2;
}

const view = new DataView(new ArrayBuffer(4));

export function decodeRegisters(
  regs: ArrayLike<number>,
  at: number,
  type: RegisterType,
  wordOrder: "big" | "little" = "big",
  scale = 1,
  offset = 0,
): number {
  let raw: number;
  if (type === "u16" || type === "i16") {
    view.setUint16(0, regs[at]!);
    raw = type === "u16" ? view.getUint16(0) : view.getInt16(0);
  } else {
    const [hi, lo] = wordOrder === "big" ? [regs[at]!, regs[at + 1]!] : [regs[at + 1]!, regs[at]!];
    view.setUint16(0, hi);
    view.setUint16(2, lo);
    raw =
      type === "u32" ? view.getUint32(0) : type === "i32" ? view.getInt32(0) : view.getFloat32(0);
  }
  return raw * scale + offset;
}

/** The inverse of decodeRegisters (scale 1, offset 0): for the test slave and simulators. */
export function encodeRegisters(
  value: number,
  type: RegisterType,
  wordOrder: "big" | "little" = "big",
): number[] {
  switch (type) {
    case "u16":
      view.setUint16(0, value);
      return [view.getUint16(0)];
    case "i16":
      view.setInt16(0, value);
      return [view.getUint16(0)];
    case "u32":
      view.setUint32(0, value);
      break;
    case "i32":
      view.setInt32(0, value);
      break;
    case "f32":
      view.setFloat32(0, value);
      break;
  }
  const words = [view.getUint16(0), view.getUint16(2)];
  return wordOrder === "big" ? words : words.reverse();
}
