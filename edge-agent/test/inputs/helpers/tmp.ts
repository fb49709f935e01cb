import { tempDirSync, until as untilSupport } from "@fieldline/test-support";

/** A temp dir removed by the returned cleanup. */
export function tempDir(prefix = "fl-edge-"): { dir: string; cleanup: () => void } {
  const t = tempDirSync(prefix);
  return { dir: t.path, cleanup: t.remove };
}

/** Polls `cond` every 5 ms until true or throws after `ms`. */
export function until(cond: () => boolean, ms = 5000, what = "condition"): Promise<void> {
  return untilSupport(cond, ms, what, 5);
}
