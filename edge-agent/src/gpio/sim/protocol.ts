/**
 * The sim GPIO socket protocol, one JSON object per line (see docs/inputs.md):
 *   {"op":"set","line":3,"value":1}  -> {"ok":true,"line":3,"value":1}     drive an input line
 *   {"op":"get","line":"VALVE"}     -> {"ok":true,"line":17,"value":0,"direction":"output"}
 *   {"op":"list"}                    -> {"ok":true,"lines":[{line,name?,direction,value}...]}
 *   {"op":"watch"}                   -> {"ok":true}, then {"ev":"output","line":17,"value":1,"t":ms}
 *                                       on every write the agent makes to an output line
 * Any request may carry "id", echoed in its reply. Errors: {"ok":false,"error":"..."}.
 */
import { bit, resolveLine } from "../lines";

export interface SimLineState {
  count: number;
  names: Record<string, number>;
  level(n: number): 0 | 1;
  direction(n: number): "input" | "output" | "free";
  set(n: number, v: 0 | 1): void;
}

export function handleRequest(
  text: string,
  s: SimLineState,
): { body: Record<string, unknown>; watch?: boolean } {
  let req: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
      throw new Error("not an object");
    req = parsed as Record<string, unknown>;
  } catch {
    return { body: { ok: false, error: "request is not a JSON object" } };
  }
  const id = req.id === undefined ? {} : { id: req.id };
  try {
    switch (req.op) {
      case "set": {
        const n = line(req.line, s);
        if (req.value !== 0 && req.value !== 1) throw new Error("value must be 0 or 1");
        s.set(n, bit(req.value));
        return { body: { ...id, ok: true, line: n, value: s.level(n) } };
      }
      case "get": {
        const n = line(req.line, s);
        return { body: { ...id, ok: true, line: n, value: s.level(n), direction: s.direction(n) } };
      }
      case "list": {
        const byOffset = new Map(Object.entries(s.names).map(([name, n]) => [n, name]));
        const lines = Array.from({ length: s.count }, (_, n) => ({
          line: n,
          ...(byOffset.has(n) ? { name: byOffset.get(n) } : {}),
          direction: s.direction(n),
          value: s.level(n),
        }));
        return { body: { ...id, ok: true, lines } };
      }
      case "watch":
        return { body: { ...id, ok: true }, watch: true };
      default:
        return { body: { ...id, ok: false, error: `unknown op ${JSON.stringify(req.op)}` } };
    }
  } catch (err) {
    return { body: { ...id, ok: false, error: (err as Error).message } };
  }
}

function line(v: unknown, s: SimLineState): number {
  if (typeof v !== "number" && typeof v !== "string")
    throw new Error("line must be a number or a name");
  return resolveLine(v, s.count, s.names);
}
