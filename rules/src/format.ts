import type { Action, Transition } from "./types.ts";

/** Times above this are read as epoch milliseconds and shown as ISO 8601. */
const EPOCH_MS_FROM = 1e11;
/** The largest time a JavaScript Date holds (ECMA-262 21.4.1.22); beyond it, the number. */
const DATE_MAX_MS = 8.64e15;

export function formatTime(t: number): string {
  return t >= EPOCH_MS_FROM && t <= DATE_MAX_MS ? new Date(t).toISOString() : String(t);
}

function formatAction(a: Action): string {
  switch (a.type) {
    case "alert":
      return "alert";
    case "gpio":
      return `gpio ${a.line}=${a.value}${a.latch ? " latched" : ""}`;
    case "command":
      return `command ${a.name}${a.args ? " " + JSON.stringify(a.args) : ""}`;
  }
}

/** A plain-text timeline, one transition per row, columns padded to fit. */
export function formatTable(ts: Transition[]): string {
  const head = ["time", "kind", "rule", "device", "severity", "cause", "actions", "message"];
  const rows = ts.map((x) => [
    formatTime(x.t),
    x.kind,
    x.rule,
    x.device,
    x.severity,
    x.cause.map((c) => `${c.sensor}=${c.value}@${formatTime(c.t)}`).join(" ") || "-",
    x.actions.map(formatAction).join(", ") || "-",
    x.message ?? "",
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  return [line(head), ...rows.map(line)].join("\n");
}
