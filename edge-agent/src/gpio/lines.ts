/** Line bookkeeping shared by GPIO backends: resolving names and refusing double requests. */
import { GpioError } from "./chip";

export function resolveLine(
  line: number | string,
  count: number,
  names: Record<string, number>,
): number {
  if (typeof line === "number") {
    if (!Number.isInteger(line) || line < 0 || line >= count) {
      throw new GpioError(`line ${line} is out of range 0..${count - 1}`);
    }
    return line;
  }
  const byName = names[line];
  if (byName !== undefined) return resolveLine(byName, count, names);
  if (/^\d+$/.test(line)) return resolveLine(Number(line), count, names);
  throw new GpioError(
    `no line named "${line}" (known: ${Object.keys(names).join(", ") || "none"})`,
  );
}

/** Level 0/1 from anything truthy. */
export const bit = (v: unknown): 0 | 1 => (v ? 1 : 0);
