import type { DeviceInfo, Scope } from "./types.ts";

const GLOB_CHARS = /[*?]/;

export function isGlob(pattern: string): boolean {
  return GLOB_CHARS.test(pattern);
}

/** `*` matches any run of characters (also empty), `?` exactly one; the rest is literal. */
export function globToRegExp(pattern: string): RegExp {
  let src = "";
  for (const ch of pattern) {
    if (ch === "*") src += ".*";
    else if (ch === "?") src += ".";
    else src += ch.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${src}$`, "s");
}

/** Compiles a scope into a predicate over devices. An empty scope matches every device. */
export function compileScope(scope: Scope): (d: DeviceInfo) => boolean {
  const exact = new Set<string>();
  const globs: RegExp[] = [];
  for (const p of scope.devices ?? []) {
    if (isGlob(p)) globs.push(globToRegExp(p));
    else exact.add(p);
  }
  const anyId = scope.devices === undefined;
  const labels = Object.entries(scope.labels ?? {});
  return (d) => {
    if (!anyId && !exact.has(d.id) && !globs.some((g) => g.test(d.id))) return false;
    for (const [k, v] of labels) if (d.labels?.[k] !== v) return false;
    return true;
  };
}

/** Device ids named literally in scopes: the evaluator expects to hear from them. */
export function exactIds(scope: Scope): string[] {
  return (scope.devices ?? []).filter((p) => !isGlob(p));
}
