/**
 * Commands from the cloud, one handler per name in one table. A handler returns its result
 * or throws; either way a CommandResult goes back through the outbox.
 */
import { z } from "zod";
import type { Actuators } from "../safety/actuators";

export interface CommandContext {
  actuators: Actuators | undefined;
  clock: () => number;
  /** Emits an event (e.g. latch cleared). */
  event(type: string, message: string, data?: Record<string, unknown>): void;
}

export interface CommandHandler {
  args: z.ZodType;
  run(args: never, ctx: CommandContext): unknown;
}

const lineRef = z.union([z.number().int().min(0), z.string().min(1)]);

function need(ctx: CommandContext): Actuators {
  if (!ctx.actuators) throw new Error("this device has no gpio outputs");
  return ctx.actuators;
}

function handler<S extends z.ZodType>(args: S, run: (a: z.output<S>, ctx: CommandContext) => unknown): CommandHandler {
  return { args, run: run as (a: never, ctx: CommandContext) => unknown };
}

export const commandHandlers: Record<string, CommandHandler> = {
  ping: handler(z.object({}).passthrough(), (_a, ctx) => ({ pong: ctx.clock() })),
  "clear-latch": handler(z.object({ line: lineRef.optional() }), (a, ctx) => {
    const cleared = need(ctx).clearLatch(a.line);
    if (cleared.length > 0) ctx.event("latch-cleared", `latch cleared on ${cleared.join(", ")}`, { lines: cleared });
    return { cleared };
  }),
  "set-output": handler(z.object({ line: lineRef, value: z.union([z.literal(0), z.literal(1)]) }), (a, ctx) => {
    need(ctx).set(a.line, a.value);
    ctx.event("output-set", `line ${a.line} set to ${a.value} by command`, { line: a.line, value: a.value });
    return { line: a.line, value: a.value };
  }),
};

export type CommandOutcome = { ok: true; result: unknown } | { ok: false; error: string };

export function runCommand(name: string, args: unknown, ctx: CommandContext): CommandOutcome {
  const h = commandHandlers[name];
  if (!h) return { ok: false, error: `unknown command ${JSON.stringify(name)}; known: ${Object.keys(commandHandlers).join(", ")}` };
  const parsed = h.args.safeParse(args ?? {});
  if (!parsed.success) {
    return { ok: false, error: parsed.error.issues.map((i) => `${i.path.join(".") || "args"}: ${i.message}`).join("; ") };
  }
  try {
    return { ok: true, result: h.run(parsed.data as never, ctx) };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}
