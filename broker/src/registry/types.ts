/** Who may connect: devices, service accounts (processor, node-red) and operators. */
export const ROLES = ["device", "processor", "node-red", "operator"] as const;
export type Role = (typeof ROLES)[number];

export interface IdentityRecord {
  /** MQTT username. For a device it is its device id, and its client id must be the same. */
  username: string;
  role: Role;
  /** Devices only: the site and device of its topics. */
  site?: string;
  device?: string;
  /** `scrypt$N$r$p$salt$hash` (base64url); the secret itself is never stored. */
  secretHash: string;
  createdAt: string;
  rotatedAt?: string;
  revokedAt?: string;
}

export interface RegistryData {
  version: 1;
  identities: IdentityRecord[];
}

/** Where credentials live. One small interface; the file store implements it. */
export interface RegistryStore {
  read(): Promise<RegistryData>;
  write(data: RegistryData): Promise<void>;
  /** A value that changes whenever the stored data changes (mtime + size for a file). */
  version(): Promise<string>;
}
