/**
 * The vectors' JSON convention. JSON has no NaN or infinities, so a non-finite number is
 * written as a one-key object: {"$float": "NaN"}, {"$float": "Infinity"}, {"$float": "-Infinity"}.
 * Every other value is plain JSON. Integers are exact (all timestamps are below 2^53).
 */

export type Tagged = null | boolean | number | string | Tagged[] | { [k: string]: Tagged };

export function toTagged(value: unknown): Tagged {
  if (typeof value === "number") {
    if (Number.isNaN(value)) return { $float: "NaN" };
    if (value === Infinity) return { $float: "Infinity" };
    if (value === -Infinity) return { $float: "-Infinity" };
    return value;
  }
  if (Array.isArray(value)) return value.map(toTagged);
  if (value !== null && typeof value === "object") {
    const out: Record<string, Tagged> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = toTagged(v);
    return out;
  }
  if (value === null || typeof value === "boolean" || typeof value === "string") return value;
  throw new TypeError(`cannot write ${typeof value} to vector JSON`);
}

export function fromTagged(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(fromTagged);
  if (value !== null && typeof value === "object") {
    const keys = Object.keys(value);
    const f = (value as { $float?: unknown }).$float;
    if (keys.length === 1 && typeof f === "string") return Number(f);
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fromTagged(v)]));
  }
  return value;
}
