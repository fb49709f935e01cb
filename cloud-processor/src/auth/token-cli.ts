/**
 * `cloud-processor token add|list|revoke`: the operator API's accounts, in the data dir's
 * token file. A new token is printed once, alone on stdout (scripts capture it); notes go to
 * stderr. Adding and revoking are audited in the data dir's audit.jsonl.
 */
import { mkdir } from "node:fs/promises";
import { userInfo } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ConfigError, loadConfig, parseConfig } from "../config.ts";
import { AUDIT_FILE, AuditLog } from "./audit.ts";
import { isRole, ROLES } from "./roles.ts";
import { TOKENS_FILE, TokenStore, TokenStoreError } from "./token-store.ts";

export const TOKEN_HELP = `usage: cloud-processor token <command> [--config FILE | --data-dir DIR]

commands:
  add NAME --role ROLE  create a token for NAME (roles: ${ROLES.join(", ")}); prints it once
  list                  every token: name, role, id, created, revoked
  revoke NAME|ID        revoke NAME's active token (or the token with that id); takes effect
                        in a running processor within about a second

options:
  --config FILE         the processor's config (its dataDir holds the tokens)
  --data-dir DIR        the data dir itself (default: the config's, else ./data)
`;

interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}

const stdio: Io = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) };

export async function runTokenCli(argv: string[], io: Io = stdio): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { role: { type: "string" }, config: { type: "string" }, "data-dir": { type: "string" }, help: { type: "boolean", short: "h" } },
    });
  } catch (err) {
    io.err(`${(err as Error).message}\n\n${TOKEN_HELP}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [cmd, arg, ...extra] = positionals;
  if (values.help || cmd === undefined) {
    io.out(TOKEN_HELP);
    return values.help ? 0 : 2;
  }
  let dataDir: string;
  try {
    dataDir = values["data-dir"] ?? (values.config ? await loadConfig(values.config) : parseConfig({})).dataDir;
  } catch (err) {
    if (err instanceof ConfigError) {
      io.err(err.message + "\n");
      return 2;
    }
    throw err;
  }
  const store = new TokenStore(join(dataDir, TOKENS_FILE));
  const audit = new AuditLog(join(dataDir, AUDIT_FILE));
  const who = `cli:${userInfo().username}`;
  const usage = (msg: string) => {
    io.err(`${msg}\n\n${TOKEN_HELP}`);
    return 2;
  };
  try {
    switch (cmd) {
      case "add": {
        if (!arg || extra.length) return usage("token add needs exactly one NAME");
        const role = values.role;
        if (!role || !isRole(role)) return usage(`token add needs --role, one of ${ROLES.join(", ")}`);
        await mkdir(dataDir, { recursive: true });
        const { record, token } = await store.add(arg, role);
        await audit.record({ who, action: "token.added", name: record.name, tokenRole: record.role, id: record.id });
        io.err(`token for ${record.name} (role ${record.role}, id ${record.id}); shown once, store it now:\n`);
        io.out(token + "\n");
        return 0;
      }
      case "list": {
        if (arg) return usage("token list takes no argument");
        await store.load();
        const rows = store.list().map((t) => [t.name, t.role, t.id, t.createdAt, t.revokedAt ?? ""]);
        const head = ["name", "role", "id", "created", "revoked"];
        const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
        for (const r of [head, ...rows]) io.out(r.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd() + "\n");
        return 0;
      }
      case "revoke": {
        if (!arg || extra.length) return usage("token revoke needs exactly one NAME or ID");
        const record = await store.revoke(arg);
        await audit.record({ who, action: "token.revoked", name: record.name, tokenRole: record.role, id: record.id });
        io.err(`revoked the token of ${record.name} (id ${record.id})\n`);
        return 0;
      }
      default:
        return usage(`unknown token command ${JSON.stringify(cmd)}`);
    }
  } catch (err) {
    if (err instanceof TokenStoreError) {
      io.err(err.message + "\n");
      return 1;
    }
    throw err;
  }
}
