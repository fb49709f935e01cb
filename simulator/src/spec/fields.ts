/** Reusable zod fields of the fleet spec: durations, instants, ids, selectors. */
import { z } from "zod";
import { ID_PATTERN } from "@fieldline/firmware-contracts";
import { parseDuration } from "../duration";

/** A duration (`10s`, `1h30m`, or milliseconds), parsed to milliseconds. */
export const duration = z
  .union([z.number(), z.string()])
  .transform((v, ctx) => {
    const ms = parseDuration(v);
    if (ms === undefined) {
      ctx.addIssue({ code: "custom", message: `expected a duration like 10s, 5m, 1h30m or milliseconds, got ${JSON.stringify(v)}` });
      return z.NEVER;
    }
    return ms;
  });

/** A duration that may be negative (`-5s`), e.g. a clock offset. */
export const signedDuration = z.union([z.number(), z.string()]).transform((v, ctx) => {
  if (typeof v === "number") return v;
  const negative = v.trim().startsWith("-");
  const ms = parseDuration(negative ? v.trim().slice(1) : v);
  if (ms === undefined) {
    ctx.addIssue({ code: "custom", message: `expected a duration like -5s or 2m, got ${JSON.stringify(v)}` });
    return z.NEVER;
  }
  return negative ? -ms : ms;
});

export const positiveDuration = duration.refine((ms) => ms > 0, "must be longer than 0");

/** An instant: an ISO 8601 time, or a duration after the run's start. */
export type Instant = { offset: number } | { time: number };

export const instant = z
  .union([z.number(), z.string(), z.date()])
  .transform((v, ctx): Instant => {
    if (v instanceof Date) return { time: v.getTime() };
    if (typeof v === "string" && /^\d{4}-\d{2}-\d{2}/.test(v)) {
      const time = Date.parse(v);
      if (!Number.isNaN(time)) return { time };
    }
    const ms = parseDuration(v);
    if (ms === undefined) {
      ctx.addIssue({ code: "custom", message: `expected an ISO time or a duration after start, got ${JSON.stringify(v)}` });
      return z.NEVER;
    }
    return { offset: ms };
  });

export function resolveInstant(at: Instant, start: number): number {
  return "time" in at ? at.time : start + at.offset;
}

export const id = z.string().regex(ID_PATTERN, "must be 1-64 characters of A-Z a-z 0-9 _ . -");

/** One glob (`*` matches any run of characters) or a list of them. */
export const selector = z
  .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
  .transform((v) => (Array.isArray(v) ? v : [v]));

export function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+^${}()|[\]\\?]/g, "\\$&").replace(/\*/g, ".*");
  return new RegExp(`^${escaped}$`);
}

export function matchesAny(globs: readonly string[], name: string): boolean {
  return globs.some((g) => globToRegExp(g).test(name));
}
