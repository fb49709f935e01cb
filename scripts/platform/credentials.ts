/**
 * Per-device credentials and service accounts, written as the broker's registry file in one
 * go through the broker's own store and scrypt hashing (the `add-device` CLI writes the same
 * records one at a time). Secrets stay in memory and in a 0600 JSON file for the fleet.
 */
import { chmod, writeFile } from "node:fs/promises";
import { FileRegistryStore, generateSecret, hashSecret, type IdentityRecord, type Role } from "@fieldline/broker";

export interface Identity {
  username: string;
  role: Role;
  site?: string;
  device?: string;
}

export interface Credentials {
  registryFile: string;
  secrets: Map<string, string>;
}

/**
 * scrypt cost of the demo's secrets: N=1024 (about 1 ms per hash) instead of the CLI's 16384
 * (about 50 ms), so 200 devices register and log in within a second. The hash records its
 * own N, so the broker verifies either.
 */
export const DEMO_SCRYPT = { N: 1024, r: 8, p: 1 };

export async function writeRegistry(registryFile: string, identities: Identity[]): Promise<Credentials> {
  const secrets = new Map<string, string>();
  const records: IdentityRecord[] = [];
  const now = new Date().toISOString();
  for (const id of identities) {
    const secret = generateSecret();
    secrets.set(id.username, secret);
    records.push({
      username: id.username,
      role: id.role,
      ...(id.role === "device" ? { site: id.site, device: id.device } : {}),
      secretHash: await hashSecret(secret, DEMO_SCRYPT),
      createdAt: now,
    });
  }
  await new FileRegistryStore(registryFile).write({ version: 1, identities: records });
  return { registryFile, secrets };
}

/** The simulator's `credentialsFile`: `{ "<device>": { "username", "password" } }`. */
export async function writeFleetCredentials(file: string, devices: string[], creds: Credentials): Promise<void> {
  const out: Record<string, { username: string; password: string }> = {};
  for (const d of devices) out[d] = { username: d, password: secretOf(creds, d) };
  await writeFile(file, JSON.stringify(out));
  await chmod(file, 0o600);
}

export function secretOf(creds: Credentials, username: string): string {
  const s = creds.secrets.get(username);
  if (s === undefined) throw new Error(`no credentials for ${username}`);
  return s;
}
