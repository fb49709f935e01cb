/**
 * API tokens of the operator API, kept in one JSON file in the data dir (`api-tokens.json`,
 * written atomically with mode 0600). Only scrypt hashes are stored; a token is shown once,
 * when it is added.
 *
 * A token reads `flp_<id>_<secret>`: the id (16 hex digits) finds the record, the secret
 * (32 random bytes, base64url) proves it. The first request with a token costs one scrypt
 * run; afterwards a keyed SHA-256 of the token is kept in memory (a per-process random key,
 * dropped when the record changes), so a request costs an HMAC, and so does a wrong secret
 * for a token id already verified. Scrypt runs for unverified ids are bounded
 * (`maxPendingScrypt`): past the bound `verify` answers "busy" instead of queueing CPU work.
 *
 * A running processor re-reads the file at most every `reloadIntervalMs` when it changed, so
 * `token add` and `token revoke` from the CLI take effect without a restart.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { open, readFile, rename, stat } from "node:fs/promises";
import { DEFAULT_SCRYPT, hashSecret, verifySecret, type ScryptParams } from "@fieldline/broker";
import { isRole, type Role } from "./roles.ts";

export interface TokenRecord {
  id: string;
  name: string;
  role: Role;
  hash: string;
  createdAt: string;
  revokedAt?: string;
}

interface TokenFile {
  version: 1;
  tokens: TokenRecord[];
}

/** The token file's name in the data dir. */
export const TOKENS_FILE = "api-tokens.json";

export class TokenStoreError extends Error {
  override name = "TokenStoreError";
}

export const NAME_PATTERN = /^[A-Za-z0-9_.@-]{1,64}$/;
const TOKEN_PATTERN = /^flp_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

export interface TokenStoreOptions {
  scrypt?: ScryptParams;
  /** Least time between two checks of the file for changes (0: every verify). */
  reloadIntervalMs?: number;
  /** Most scrypt verifications running at once; more answer "busy". */
  maxPendingScrypt?: number;
  now?: () => number;
  /** Checks a token against a stored hash (default: scrypt, the broker's verifySecret). */
  verifyHash?: (token: string, stored: string) => Promise<boolean>;
}

export type Verdict = { ok: true; token: TokenRecord } | { ok: false; reason: "malformed" | "unknown" | "revoked" | "wrong" | "busy" };

export class TokenStore {
  private tokens: TokenRecord[] = [];
  private byId = new Map<string, TokenRecord>();
  private fileStamp = "";
  private checkedAt = -Infinity;
  private readonly cacheKey = randomBytes(32);
  private readonly verified = new Map<string, { hash: string; mac: Buffer }>();
  private pendingScrypt = 0;

  constructor(
    readonly path: string,
    private readonly opts: TokenStoreOptions = {},
  ) {}

  /** Reads the file (a missing file is an empty store). */
  async load(): Promise<void> {
    const stamp = await this.stamp();
    let doc: TokenFile = { version: 1, tokens: [] };
    if (stamp) {
      const parsed = JSON.parse(await readFile(this.path, "utf8")) as Partial<TokenFile>;
      if (!Array.isArray(parsed.tokens)) throw new TokenStoreError(`${this.path}: no "tokens" list`);
      doc = { version: 1, tokens: parsed.tokens.filter((t) => t && typeof t.id === "string" && isRole(String(t.role))) };
    }
    this.tokens = doc.tokens;
    this.byId = new Map(doc.tokens.map((t) => [t.id, t]));
    this.fileStamp = stamp;
  }

  /** Re-reads the file when it changed since the last read; at most every reloadIntervalMs. */
  async refresh(): Promise<void> {
    const now = (this.opts.now ?? Date.now)();
    if (now - this.checkedAt < (this.opts.reloadIntervalMs ?? 1000)) return;
    this.checkedAt = now;
    if ((await this.stamp()) !== this.fileStamp) await this.load();
  }

  list(): TokenRecord[] {
    return [...this.tokens];
  }

  /** Active (not revoked) tokens. */
  get active(): number {
    return this.tokens.filter((t) => !t.revokedAt).length;
  }

  async verify(token: string): Promise<Verdict> {
    const m = TOKEN_PATTERN.exec(token);
    if (!m) return { ok: false, reason: "malformed" };
    await this.refresh();
    const rec = this.byId.get(m[1]!);
    if (!rec) return { ok: false, reason: "unknown" };
    if (rec.revokedAt) return { ok: false, reason: "revoked" };
    const mac = createHmac("sha256", this.cacheKey).update(token).digest();
    const hit = this.verified.get(rec.id);
    if (hit && hit.hash === rec.hash) return timingSafeEqual(hit.mac, mac) ? { ok: true, token: rec } : { ok: false, reason: "wrong" };
    if (this.pendingScrypt >= (this.opts.maxPendingScrypt ?? 4)) return { ok: false, reason: "busy" };
    this.pendingScrypt++;
    try {
      if (!(await (this.opts.verifyHash ?? verifySecret)(token, rec.hash))) return { ok: false, reason: "wrong" };
    } finally {
      this.pendingScrypt--;
    }
    this.verified.set(rec.id, { hash: rec.hash, mac });
    return { ok: true, token: rec };
  }

  /** Adds a token for `name` with `role`; returns the token (shown once, never stored). */
  async add(name: string, role: Role): Promise<{ record: TokenRecord; token: string }> {
    if (!NAME_PATTERN.test(name)) throw new TokenStoreError(`name ${JSON.stringify(name)} must match ${NAME_PATTERN}`);
    if (!isRole(role)) throw new TokenStoreError(`unknown role ${JSON.stringify(role)}`);
    await this.load();
    if (this.tokens.some((t) => t.name === name && !t.revokedAt)) {
      throw new TokenStoreError(`${name} already has a token; revoke it first`);
    }
    const id = randomBytes(8).toString("hex");
    const token = `flp_${id}_${randomBytes(32).toString("base64url")}`;
    const record: TokenRecord = { id, name, role, hash: await hashSecret(token, this.opts.scrypt ?? DEFAULT_SCRYPT), createdAt: new Date().toISOString() };
    await this.save([...this.tokens, record]);
    return { record, token };
  }

  /** Revokes the active token of a name, or a token by id. */
  async revoke(nameOrId: string): Promise<TokenRecord> {
    await this.load();
    const rec = this.tokens.find((t) => !t.revokedAt && (t.name === nameOrId || t.id === nameOrId));
    if (!rec) throw new TokenStoreError(`no active token named ${JSON.stringify(nameOrId)}`);
    const revoked: TokenRecord = { ...rec, revokedAt: new Date().toISOString() };
    await this.save(this.tokens.map((t) => (t === rec ? revoked : t)));
    return revoked;
  }

  private async save(tokens: TokenRecord[]): Promise<void> {
    const tmp = `${this.path}.${process.pid}.tmp`;
    const fh = await open(tmp, "w", 0o600);
    try {
      await fh.writeFile(JSON.stringify({ version: 1, tokens } satisfies TokenFile, null, 2) + "\n");
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, this.path);
    await this.load();
  }

  private async stamp(): Promise<string> {
    try {
      const s = await stat(this.path);
      return `${s.ino}:${s.size}:${s.mtimeMs}`;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return "";
      throw err;
    }
  }
}
