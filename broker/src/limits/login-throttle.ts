/**
 * Failed-login throttling per identity and per remote address: after too many failures
 * inside the window, further attempts are refused without checking the secret until the
 * window has passed since the last failure.
 */
import type { ThrottleConfig } from "../config.ts";

interface Entry {
  failures: number;
  last: number;
}

export class LoginThrottle {
  private readonly byIdentity = new Map<string, Entry>();
  private readonly byAddress = new Map<string, Entry>();

  constructor(
    private readonly cfg: ThrottleConfig,
    private readonly now: () => number = Date.now,
  ) {}

  /** "identity" or "address" when the attempt must be refused, else undefined. */
  blocked(username: string, address: string): "identity" | "address" | undefined {
    if (this.over(this.byIdentity, username, this.cfg.maxFailuresPerIdentity)) return "identity";
    if (this.over(this.byAddress, address, this.cfg.maxFailuresPerAddress)) return "address";
    return undefined;
  }

  failed(username: string, address: string): void {
    this.bump(this.byIdentity, username);
    this.bump(this.byAddress, address);
  }

  succeeded(username: string): void {
    this.byIdentity.delete(username);
  }

  /** Drops expired entries; called from a timer so the maps stay bounded. */
  sweep(): void {
    const cutoff = this.now() - this.cfg.windowMs;
    for (const m of [this.byIdentity, this.byAddress]) {
      for (const [k, e] of m) if (e.last < cutoff) m.delete(k);
    }
  }

  private over(m: Map<string, Entry>, key: string, max: number): boolean {
    const e = m.get(key);
    if (!e) return false;
    if (this.now() - e.last > this.cfg.windowMs) {
      m.delete(key);
      return false;
    }
    return e.failures >= max;
  }

  private bump(m: Map<string, Entry>, key: string): void {
    const now = this.now();
    const e = m.get(key);
    if (!e || now - e.last > this.cfg.windowMs) m.set(key, { failures: 1, last: now });
    else {
      e.failures++;
      e.last = now;
    }
  }
}
