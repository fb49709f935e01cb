/** Polling with a deadline: a condition, or an HTTP endpoint answering 2xx. */
import type { ChildProcess } from "node:child_process";

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `cond` every `intervalMs` until it is true; throws after `ms`, naming `what`. */
export async function until(cond: () => boolean | Promise<boolean>, ms = 5000, what = "condition", intervalMs = 5): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/**
 * Waits until GET `url` answers 2xx. Fails at once if `proc` (the server being waited on)
 * exits, and after `timeoutMs` (default 15 s).
 */
export async function waitHttp(url: string, proc?: ChildProcess, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc && proc.exitCode !== null) throw new Error(`${url}: server exited with ${proc.exitCode}`);
    const ok = await fetch(url)
      .then(async (r) => (await r.body?.cancel(), r.ok))
      .catch(() => false);
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${url} not ready after ${timeoutMs} ms`);
    await sleep(25);
  }
}
