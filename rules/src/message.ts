import type { Reading, Rule } from "./types.ts";

const FIELD = /\{(rule|device|sensor|value|t|time|severity|kind)\}/g;

/** Fills `{rule} {device} {sensor} {value} {t} {time} {severity} {kind}` in a rule's message. */
export function renderMessage(
  rule: Rule,
  device: string,
  kind: string,
  t: number,
  cause: Reading[],
): string {
  const r = cause[cause.length - 1];
  return rule.message!.replace(FIELD, (_m, k: string) => {
    switch (k) {
      case "rule":
        return rule.id;
      case "device":
        return device;
      case "sensor":
        return r?.sensor ?? "";
      case "value":
        return r ? String(r.value) : "";
      case "t":
        return String(t);
      case "time":
        return new Date(t).toISOString();
      case "severity":
        return rule.severity;
      default:
        return kind;
    }
  });
}
