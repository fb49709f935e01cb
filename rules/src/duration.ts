const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  min: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};
/** Longest duration a rule may name (`for`, `clear_for`, `window`, `after`): 365 days. */
export const MAX_DURATION_MS = 365 * 86_400_000;

const PART = /(\d+(?:\.\d+)?)(ms|min|s|m|h|d)/g;

/**
 * Parses a duration such as `500ms`, `30s`, `5m`, `1h30m` or `2d` into integer milliseconds.
 * A bare number is milliseconds. Returns undefined when the text is not a duration.
 */
export function parseDuration(input: string | number): number | undefined {
  if (typeof input === "number")
    return Number.isFinite(input) && input >= 0 ? Math.round(input) : undefined;
  const s = input.trim();
  if (s === "") return undefined;
  if (/^\d+$/.test(s)) return Number(s);
  let total = 0;
  let consumed = 0;
  for (const m of s.matchAll(PART)) {
    if (m.index !== consumed) return undefined;
    total += Number(m[1]) * (UNIT_MS[m[2]!] ?? NaN);
    consumed += m[0].length;
  }
  if (consumed !== s.length || !Number.isFinite(total)) return undefined;
  return Math.round(total);
}

export function formatDuration(ms: number): string {
  if (ms === 0) return "0s";
  const parts: string[] = [];
  let rest = ms;
  for (const [u, n] of [
    ["d", 86_400_000],
    ["h", 3_600_000],
    ["m", 60_000],
    ["s", 1000],
    ["ms", 1],
  ] as const) {
    if (rest >= n) {
      parts.push(`${Math.floor(rest / n)}${u}`);
      rest %= n;
    }
  }
  return parts.join("");
}
