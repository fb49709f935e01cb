/**
 * The device registry: add, list, rotate and revoke credentials, and verify logins.
 *
 * Verification runs scrypt once per (identity, secret); afterwards a keyed SHA-256 of the
 * secret is remembered so reconnect storms do not cost 50 ms of CPU each. The cache is
 * dropped whenever the stored hash changes (rotation, revocation).
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { ID_PATTERN } from "@fieldline/firmware-contracts";
import { generateSecret, hashSecret, verifySecret, type ScryptParams } from "./secrets.ts";
import type { IdentityRecord, RegistryData, RegistryStore, Role } from "./types.ts";

export class RegistryError extends Error {
  override name = "RegistryError";
}

export interface NewIdentity {
  username: string;
  role: Role;
  site?: string;
  device?: string;
  /** A secret chosen by the operator (e.g. from a deployment's secret store); generated when absent. */
  secret?: string;
}

/** Shortest secret accepted from an operator; generated ones are 32 characters. */
export const MIN_SECRET_LENGTH = 12;

export class Registry {
  private data: RegistryData = { version: 1, identities: [] };
  private byName = new Map<string, IdentityRecord>();
  private loadedVersion = "";
  private checkedAt = 0;
  private readonly cacheKey = randomBytes(32);
  private readonly verified = new Map<string, { hash: string; mac: Buffer }>();

  constructor(
    private readonly store: RegistryStore,
    private readonly opts: { scrypt?: ScryptParams; reloadIntervalMs?: number; now?: () => number } = {},
  ) {}

  async load(): Promise<void> {
    const version = await this.store.version();
    this.data = await this.store.read();
    this.byName = new Map(this.data.identities.map((i) => [i.username, i]));
    this.loadedVersion = version;
  }

  /** Re-reads the store when it changed (the CLI writes it while the broker runs). Returns true on change. */
  async refresh(): Promise<boolean> {
    const now = (this.opts.now ?? Date.now)();
    if (now - this.checkedAt < (this.opts.reloadIntervalMs ?? 1000)) return false;
    this.checkedAt = now;
    if ((await this.store.version()) === this.loadedVersion) return false;
    await this.load();
    return true;
  }

  get(username: string): IdentityRecord | undefined {
    return this.byName.get(username);
  }

  list(): IdentityRecord[] {
    return [...this.data.identities];
  }

  /** Checks a login; undefined when unknown, revoked or wrong secret. */
  async verify(username: string, secret: Buffer | string): Promise<IdentityRecord | undefined> {
    const rec = this.byName.get(username);
    if (!rec || rec.revokedAt) return undefined;
    const mac = createHmac("sha256", this.cacheKey).update(username).update("\0").update(secret).digest();
    const hit = this.verified.get(username);
    if (hit && hit.hash === rec.secretHash) return timingSafeEqual(hit.mac, mac) ? rec : undefined;
    if (!(await verifySecret(secret, rec.secretHash))) return undefined;
    this.verified.set(username, { hash: rec.secretHash, mac });
    return rec;
  }

  /** Adds an identity and returns its secret (shown once, never stored): generated unless given. */
  async add(n: NewIdentity): Promise<{ record: IdentityRecord; secret: string }> {
    await this.load();
    checkNew(n);
    if (this.byName.has(n.username)) throw new RegistryError(`${n.username} already exists`);
    if (n.secret !== undefined && n.secret.length < MIN_SECRET_LENGTH) {
      throw new RegistryError(`the secret for ${n.username} must be at least ${MIN_SECRET_LENGTH} characters`);
    }
    const secret = n.secret ?? generateSecret();
    const record: IdentityRecord = {
      username: n.username,
      role: n.role,
      ...(n.role === "device" ? { site: n.site, device: n.device } : {}),
      secretHash: await hashSecret(secret, this.opts.scrypt),
      createdAt: new Date().toISOString(),
    };
    await this.save([...this.data.identities, record]);
    return { record, secret };
  }

  async rotate(username: string): Promise<{ record: IdentityRecord; secret: string }> {
    await this.load();
    const rec = this.require(username);
    const secret = generateSecret();
    const record: IdentityRecord = {
      ...rec,
      secretHash: await hashSecret(secret, this.opts.scrypt),
      rotatedAt: new Date().toISOString(),
    };
    delete record.revokedAt;
    await this.save(this.data.identities.map((i) => (i.username === username ? record : i)));
    return { record, secret };
  }

  async revoke(username: string): Promise<IdentityRecord> {
    await this.load();
    const rec = this.require(username);
    const record: IdentityRecord = { ...rec, revokedAt: new Date().toISOString() };
    await this.save(this.data.identities.map((i) => (i.username === username ? record : i)));
    return record;
  }

  private require(username: string): IdentityRecord {
    const rec = this.byName.get(username);
    if (!rec) throw new RegistryError(`no identity named ${username}`);
    return rec;
  }

  private async save(identities: IdentityRecord[]): Promise<void> {
    await this.store.write({ version: 1, identities });
    await this.load();
  }
}

function checkNew(n: NewIdentity): void {
  if (!ID_PATTERN.test(n.username)) throw new RegistryError(`username ${JSON.stringify(n.username)} must match ${ID_PATTERN}`);
  if (n.role === "device") {
    if (!n.site || !ID_PATTERN.test(n.site)) throw new RegistryError("a device needs --site (1-64 of A-Z a-z 0-9 _ . -)");
    if (n.device !== n.username) throw new RegistryError("a device's username is its device id");
  }
}
