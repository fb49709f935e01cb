/**
 * The audit trail: one JSON line per change made through the operator API or the token CLI
 * (who, what, when), appended to `dataDir/audit.jsonl` and logged with pino (`audit: true`).
 */
import { appendFile } from "node:fs/promises";
import type { Logger } from "pino";

/** The audit file's name in the data dir. */
export const AUDIT_FILE = "audit.jsonl";

export type AuditAction = "rules.applied" | "alert.acknowledged" | "token.added" | "token.revoked";

export interface AuditEntry {
  /** The account (token name) that acted, or "cli:<user>" for the token CLI. */
  who: string;
  role?: string;
  action: AuditAction;
  [detail: string]: unknown;
}

export class AuditLog {
  constructor(
    readonly path: string,
    private readonly log?: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  async record(entry: AuditEntry): Promise<void> {
    const line = { at: new Date(this.now()).toISOString(), ...entry };
    this.log?.info({ audit: true, ...line }, `audit: ${entry.action} by ${entry.who}`);
    await appendFile(this.path, JSON.stringify(line) + "\n", { mode: 0o600 });
  }
}
