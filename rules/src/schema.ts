import { z } from "zod";
import { MAX_DURATION_MS, parseDuration } from "./duration.ts";
import type { Action, Comparator, Condition, Rule, Severity } from "./types.ts";

/**
 * The YAML language as one zod schema. Each node transforms into the compiled form
 * (types.ts), so a successful parse is a ready RuleSet. Every check adds an issue with
 * its path; the parser maps paths to line and column.
 */

const Duration = z
  .union([z.number(), z.string()], {
    error: "expected a duration such as 30s, 5m, 1h30m or a number of ms",
  })
  .transform((v, ctx) => {
    const bad = (message: string) => {
      ctx.addIssue({ code: "custom", message });
      return z.NEVER;
    };
    if (typeof v === "number" && !Number.isSafeInteger(v))
      return bad(`invalid duration ${v}: a number of ms must be a whole number`);
    const ms = parseDuration(v);
    if (ms === undefined)
      return bad(`invalid duration ${JSON.stringify(v)}: use e.g. 500ms, 30s, 5m, 1h, 1d`);
    if (ms > MAX_DURATION_MS) return bad(`duration ${JSON.stringify(v)} is too long: at most 365d`);
    return ms;
  });

const Finite = z.number().refine(Number.isFinite, "expected a finite number");
const Band = z.tuple([Finite, Finite], { error: "expected a band [low, high]" });
const Sensor = z.string().min(1, "sensor name is empty");

const comparatorFields = {
  above: Finite.optional().describe("fires when value > above"),
  below: Finite.optional().describe("fires when value < below"),
  outside: Band.optional().describe("fires when value < low or value > high"),
  inside: Band.optional().describe("fires when low <= value <= high"),
  hysteresis: z
    .number()
    .nonnegative()
    .optional()
    .describe("distance the value must travel back before clearing"),
  clear_at: z
    .union([Finite, Band])
    .optional()
    .describe("explicit clear level (number) or band ([low, high])"),
};
type ComparatorFields = {
  [K in keyof typeof comparatorFields]?: z.output<(typeof comparatorFields)[K]>;
};

const OPS = ["above", "below", "outside", "inside"] as const;

/** Builds the comparator, adding an issue (with a path) for each inconsistency. */
function comparator(v: ComparatorFields, ctx: z.RefinementCtx): Comparator | undefined {
  const present = OPS.filter((k) => v[k] !== undefined);
  if (present.length !== 1) {
    ctx.addIssue({
      code: "custom",
      message:
        present.length === 0
          ? "needs one of above, below, outside, inside"
          : `give only one of above, below, outside, inside (found ${present.join(", ")})`,
    });
    return undefined;
  }
  if (v.hysteresis !== undefined && v.clear_at !== undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["clear_at"],
      message: "give either hysteresis or clear_at, not both",
    });
    return undefined;
  }
  const h = v.hysteresis ?? 0;
  const op = present[0]!;
  const bad = (message: string, path: string) => {
    ctx.addIssue({ code: "custom", path: [path], message });
    return undefined;
  };
  if (op === "above" || op === "below") {
    const level = v[op]!;
    if (Array.isArray(v.clear_at)) return bad(`clear_at must be a number for ${op}`, "clear_at");
    const clear = v.clear_at ?? (op === "above" ? level - h : level + h);
    if (op === "above" && clear > level)
      return bad(`clear_at ${clear} must be <= above ${level}`, "clear_at");
    if (op === "below" && clear < level)
      return bad(`clear_at ${clear} must be >= below ${level}`, "clear_at");
    return { op, level, clear };
  }
  const [lo, hi] = v[op]!;
  if (lo > hi) return bad(`band low ${lo} is greater than high ${hi}`, op);
  if (typeof v.clear_at === "number")
    return bad(`clear_at must be a band [low, high] for ${op}`, "clear_at");
  const clear: [number, number] =
    v.clear_at ?? (op === "outside" ? [lo + h, hi - h] : [lo - h, hi + h]);
  if (op === "outside" && !(lo <= clear[0] && clear[0] <= clear[1] && clear[1] <= hi))
    return bad(
      `the clear band [${clear}] must lie inside [${lo}, ${hi}]`,
      v.clear_at ? "clear_at" : "hysteresis",
    );
  if (op === "inside" && !(clear[0] <= lo && hi <= clear[1]))
    return bad(`the clear band [${clear}] must contain [${lo}, ${hi}]`, "clear_at");
  return { op, level: [lo, hi], clear };
}

const Threshold = z
  .strictObject({ sensor: Sensor, ...comparatorFields })
  .transform((v, ctx): Condition => {
    const cmp = comparator(v, ctx);
    return cmp ? { kind: "threshold", sensor: v.sensor, cmp } : z.NEVER;
  });

const PER_MS = { s: 1000, min: 60_000, h: 3_600_000 } as const;
const Rate = z
  .strictObject({
    sensor: Sensor,
    window: Duration.describe("how far back the rate looks"),
    per: z
      .enum(["s", "min", "h"])
      .default("s")
      .describe("unit of the rate: change per s, min or h"),
    ...comparatorFields,
  })
  .transform((v, ctx): Condition => {
    if (v.window <= 0) {
      ctx.addIssue({ code: "custom", path: ["window"], message: "window must be longer than 0" });
      return z.NEVER;
    }
    const cmp = comparator(v, ctx);
    return cmp
      ? { kind: "rate", sensor: v.sensor, windowMs: v.window, perMs: PER_MS[v.per], cmp }
      : z.NEVER;
  });

const Stale = z
  .strictObject({ sensor: Sensor.optional(), after: Duration })
  .transform((v, ctx): Condition => {
    if (v.after <= 0) {
      ctx.addIssue({ code: "custom", path: ["after"], message: "after must be longer than 0" });
      return z.NEVER;
    }
    return v.sensor === undefined
      ? { kind: "stale", afterMs: v.after }
      : { kind: "stale", sensor: v.sensor, afterMs: v.after };
  });

const Deadband = z
  .strictObject({ sensor: Sensor, band: z.number().nonnegative() })
  .transform((v): Condition => ({ kind: "deadband", sensor: v.sensor, band: v.band }));

const CONDITION_KEYS = ["threshold", "rate", "stale", "deadband", "all", "any", "not"] as const;

export const ConditionSchema: z.ZodType<Condition, unknown> = z.lazy(() =>
  z
    .strictObject(
      {
        threshold: Threshold.optional(),
        rate: Rate.optional(),
        stale: Stale.optional(),
        deadband: Deadband.optional(),
        all: z.array(ConditionSchema).min(1, "all needs at least one condition").optional(),
        any: z.array(ConditionSchema).min(1, "any needs at least one condition").optional(),
        not: ConditionSchema.optional(),
      },
      { error: `expected a condition: one of ${CONDITION_KEYS.join(", ")}` },
    )
    .transform((v, ctx): Condition => {
      const keys = CONDITION_KEYS.filter((k) => v[k] !== undefined);
      if (keys.length !== 1) {
        ctx.addIssue({
          code: "custom",
          message:
            keys.length === 0
              ? `expected one of ${CONDITION_KEYS.join(", ")}`
              : `a condition has exactly one kind (found ${keys.join(", ")}); combine them with all or any`,
        });
        return z.NEVER;
      }
      const k = keys[0]!;
      if (k === "all" || k === "any") return { kind: k, of: v[k]! };
      if (k === "not") return { kind: "not", of: v.not! };
      return v[k]!;
    }),
);

const GpioLine = z.union([z.string().min(1), z.number().int().nonnegative()], {
  error: "expected a line name or number",
});
const ActionSchema = z.union(
  [
    z.literal("alert").transform((): Action => ({ type: "alert" })),
    z
      .strictObject({ alert: z.union([z.null(), z.strictObject({})]) })
      .transform((): Action => ({ type: "alert" })),
    z
      .strictObject({
        gpio: z.strictObject({
          line: GpioLine,
          value: z
            .literal([0, 1], { error: "expected 0 or 1" })
            .default(0)
            .describe("level to drive (0 = off)"),
          latch: z.boolean().default(true).describe("stay driven until a command clears it"),
        }),
      })
      .transform((v): Action => ({
        type: "gpio",
        line: v.gpio.line,
        value: v.gpio.value,
        latch: v.gpio.latch,
      })),
    z
      .strictObject({
        command: z.union(
          [
            z.string().min(1),
            z.strictObject({
              name: z.string().min(1),
              args: z.record(z.string(), z.unknown()).optional(),
            }),
          ],
          { error: "expected a command name or {name, args}" },
        ),
      })
      .transform((v): Action => {
        if (typeof v.command === "string") return { type: "command", name: v.command };
        return v.command.args === undefined
          ? { type: "command", name: v.command.name }
          : { type: "command", name: v.command.name, args: v.command.args };
      }),
  ],
  { error: "expected an action: alert, {gpio: {line, value, latch}} or {command: {name, args}}" },
);

const LabelValue = z.union([z.string(), z.number(), z.boolean()]).transform(String);
const ScopeSchema = z.strictObject({
  devices: z
    .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
    .transform((v) => (Array.isArray(v) ? v : [v]))
    .optional()
    .describe("device ids or globs (* and ?)"),
  labels: z.record(z.string(), LabelValue).optional().describe("labels that must all match"),
});

export const RULE_ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]*$/;

/** Actions to send when a rule clears: the alert clears, an unlatched GPIO line is released. */
export function deriveClearActions(actions: Action[]): Action[] {
  const out: Action[] = [];
  for (const a of actions) {
    if (a.type === "alert") out.push(a);
    else if (a.type === "gpio" && !a.latch)
      out.push({ type: "gpio", line: a.line, value: a.value === 0 ? 1 : 0, latch: false });
  }
  return out;
}

export const RuleSchema = z
  .strictObject({
    id: z
      .string()
      .regex(RULE_ID, "id must start with a letter or digit and use only letters, digits, _ . : -"),
    description: z.string().optional(),
    enabled: z.boolean().default(true),
    scope: ScopeSchema.default({}),
    severity: z.enum(["info", "warning", "critical"]).default("warning"),
    when: ConditionSchema,
    for: Duration.default(0).describe("how long the condition must hold before firing"),
    clear_for: Duration.default(0).describe("how long the condition must be false before clearing"),
    actions: z.array(ActionSchema).default([{ type: "alert" }]),
    clear_actions: z.array(ActionSchema).optional(),
    message: z
      .string()
      .optional()
      .describe("text with {device} {rule} {sensor} {value} {t} {severity} {kind}"),
  })
  .transform((v, ctx): Omit<Rule, "source"> => {
    if (v.when.kind === "deadband" && (v.for > 0 || v.clear_for > 0)) {
      ctx.addIssue({
        code: "custom",
        path: ["for"],
        message: "a deadband rule reports each change at once: for and clear_for do not apply",
      });
    }
    checkNestedDeadband(v.when, ["when"], ctx, true);
    const rule: Omit<Rule, "source"> = {
      id: v.id,
      enabled: v.enabled,
      scope: v.scope,
      severity: v.severity as Severity,
      when: v.when,
      forMs: v.for,
      clearForMs: v.clear_for,
      actions: v.actions,
      clearActions: v.clear_actions ?? deriveClearActions(v.actions),
    };
    if (v.description !== undefined) rule.description = v.description;
    if (v.message !== undefined) rule.message = v.message;
    return rule;
  });

function checkNestedDeadband(
  c: Condition,
  path: (string | number)[],
  ctx: z.RefinementCtx,
  top: boolean,
): void {
  if (c.kind === "deadband" && !top) {
    ctx.addIssue({
      code: "custom",
      path,
      message: "deadband reports changes and cannot be combined; give it its own rule",
    });
  } else if (c.kind === "all" || c.kind === "any") {
    c.of.forEach((x, i) => checkNestedDeadband(x, [...path, c.kind, i], ctx, false));
  } else if (c.kind === "not") {
    checkNestedDeadband(c.of, [...path, "not"], ctx, false);
  }
}

export const FileSchema = z.strictObject({
  version: z.literal(1, { error: "version must be 1" }).optional(),
  rules: z.array(z.unknown(), { error: "expected `rules:` with a list of rules" }),
});
