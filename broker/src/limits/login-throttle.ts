/**
 * Failed-login throttling that a failing client cannot turn against its neighbours.
 *
 * - Per identity (username), exponential backoff: after `maxFailuresPerIdentity` failures
 *   the name is locked for 1 s, and each further failure locks it for twice as long as the
 *   one before, up to `windowMs`. While locked, attempts for that name are refused without
 *   checking the secret. A success clears the name's record; a name is forgotten `windowMs`
 *   after its lock ends with no new failure.
 * - Per remote address, only for names that are not registered (unknown or revoked): past
 *   `maxFailuresPerAddress` such failures within `windowMs`, unknown names from that address
 *   are refused. A registered identity logging in from the same address is never refused
 *   because of the address: behind a NAT, one misconfigured device or a fuzzer does not lock
 *   out the site. IPv6 addresses count by their /64 (one host usually holds a whole /64).
 */
import type { ThrottleConfig } from "../config.ts";

interface IdentityEntry {
  failures: number;
  lockedUntil: number;
  last: number;
}

interface AddressEntry {
  failures: number;
  last: number;
}

/** First lock after the free failures; it doubles with each further failure, up to windowMs. */
export const BASE_LOCK_MS = 1000;
/** Most names remembered (unknown names beyond it only count against their address). */
const MAX_IDENTITIES = 100_000;

export class LoginThrottle {
  private readonly byIdentity = new Map<string, IdentityEntry>();
  private readonly byAddress = new Map<string, AddressEntry>();

  constructor(
    private readonly cfg: ThrottleConfig,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * "identity" or "address" when the attempt must be refused, else undefined. `known`: the
   * name is a registered, unrevoked identity (only unknown names are throttled by address).
   */
  blocked(username: string, address: string, known = false): "identity" | "address" | undefined {
    const now = this.now();
    const e = this.byIdentity.get(username);
    if (e && this.expired(e, now)) this.byIdentity.delete(username);
    else if (e && now < e.lockedUntil) return "identity";
    if (known) return undefined;
    const a = this.byAddress.get(addressKey(address));
    if (!a) return undefined;
    if (now - a.last > this.cfg.windowMs) {
      this.byAddress.delete(addressKey(address));
      return undefined;
    }
    return a.failures >= this.cfg.maxFailuresPerAddress ? "address" : undefined;
  }

  failed(username: string, address: string, known = false): void {
    const now = this.now();
    let e = this.byIdentity.get(username);
    if (e && this.expired(e, now)) e = undefined;
    if (!e && (known || this.byIdentity.size < MAX_IDENTITIES)) {
      e = { failures: 0, lockedUntil: 0, last: now };
      this.byIdentity.set(username, e);
    }
    if (e) {
      e.failures++;
      e.last = now;
      const over = e.failures - this.cfg.maxFailuresPerIdentity;
      if (over >= 0) e.lockedUntil = now + Math.min(BASE_LOCK_MS * 2 ** Math.min(over, 30), this.cfg.windowMs);
    }
    if (known) return;
    const key = addressKey(address);
    const a = this.byAddress.get(key);
    if (!a || now - a.last > this.cfg.windowMs) this.byAddress.set(key, { failures: 1, last: now });
    else {
      a.failures++;
      a.last = now;
    }
  }

  succeeded(username: string): void {
    this.byIdentity.delete(username);
  }

  /** Drops expired entries; called from a timer so the maps stay bounded. */
  sweep(): void {
    const now = this.now();
    for (const [k, e] of this.byIdentity) if (this.expired(e, now)) this.byIdentity.delete(k);
    for (const [k, a] of this.byAddress) if (now - a.last > this.cfg.windowMs) this.byAddress.delete(k);
  }

  private expired(e: IdentityEntry, now: number): boolean {
    return now - Math.max(e.last, e.lockedUntil) > this.cfg.windowMs;
  }
}

/** IPv4 (also IPv4-mapped IPv6) as is; IPv6 by its /64 prefix. */
export function addressKey(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (!address.includes(":")) return address;
  const [head, tail] = address.split("%")[0]!.split("::") as [string, string | undefined];
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const groups = tail === undefined ? left : [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill("0"), ...right];
  return groups.slice(0, 4).map((g) => g.toLowerCase().replace(/^0+(?=.)/, "")).join(":") + "::/64";
}
