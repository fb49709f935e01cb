/**
 * fieldline-broker: run the broker and manage its credential registry.
 * Run with `npx tsx broker/src/cli.ts --help`.
 */
import { parseArgs } from "node:util";
import { pino } from "pino";
import { Broker } from "./broker.ts";
import { loadConfigFile, ConfigError } from "./config.ts";
import { FileRegistryStore } from "./registry/file-store.ts";
import { Registry, RegistryError } from "./registry/registry.ts";
import { DEFAULT_SCRYPT } from "./registry/secrets.ts";
import { ROLES, type Role } from "./registry/types.ts";

const HELP = `Usage: fieldline-broker <command> [options]

Commands:
  serve --config FILE                       run the broker (YAML config, see broker/README.md)
  add-device --site SITE --device ID        register a device; prints its secret once
  add-account --role ROLE --name NAME       register a service or operator account
                                            (ROLE: processor, node-red, operator)
  list [--json]                             list identities (never secrets)
  rotate NAME                               issue a new secret for NAME; prints it once
  revoke NAME                               revoke NAME (a running broker refuses it within ~1 s)

Registry options (every command but serve):
  --registry FILE     credential store (JSON, secrets as scrypt hashes); or take it
                      from --config FILE's registry.file
  --scrypt-n N        scrypt cost for new hashes (default ${DEFAULT_SCRYPT.N})
  --secret-env VAR    add-device/add-account: take the secret from environment variable VAR
                      (at least 12 characters) instead of generating one, for deployments
                      whose secrets live in a secret store; it is not printed

  -h, --help          show this help
`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: "string" },
      registry: { type: "string" },
      site: { type: "string" },
      device: { type: "string" },
      role: { type: "string" },
      name: { type: "string" },
      json: { type: "boolean" },
      "scrypt-n": { type: "string" },
      "secret-env": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  const [command, arg] = positionals;
  if (values.help || !command) {
    process.stdout.write(HELP);
    return values.help ? 0 : 2;
  }

  if (command === "serve") {
    if (!values.config) throw new UsageError("serve needs --config FILE");
    const broker = new Broker(await loadConfigFile(values.config), { log: pino({ name: "broker" }) });
    await broker.start();
    await new Promise<void>((resolve) => {
      process.once("SIGINT", resolve);
      process.once("SIGTERM", resolve);
    });
    await broker.stop();
    return 0;
  }

  let file = values.registry;
  if (!file && values.config) file = (await loadConfigFile(values.config)).registry.file;
  if (!file) throw new UsageError("give --registry FILE or --config FILE");
  const n = values["scrypt-n"] ? Number(values["scrypt-n"]) : DEFAULT_SCRYPT.N;
  if (!Number.isInteger(n) || n < 2 || (n & (n - 1)) !== 0) throw new UsageError("--scrypt-n must be a power of two");
  const registry = new Registry(new FileRegistryStore(file), { scrypt: { ...DEFAULT_SCRYPT, N: n } });
  await registry.load();
  const given = givenSecret(values["secret-env"]);

  switch (command) {
    case "add-device": {
      if (!values.site || !values.device) throw new UsageError("add-device needs --site and --device");
      const { record, secret } = await registry.add({
        username: values.device,
        role: "device",
        site: values.site,
        device: values.device,
        ...given,
      });
      printSecret(record.username, given.secret === undefined ? secret : undefined);
      return 0;
    }
    case "add-account": {
      const role = values.role as Role | undefined;
      if (!role || role === "device" || !ROLES.includes(role)) {
        throw new UsageError("add-account needs --role processor|node-red|operator");
      }
      if (!values.name) throw new UsageError("add-account needs --name");
      const { record, secret } = await registry.add({ username: values.name, role, ...given });
      printSecret(record.username, given.secret === undefined ? secret : undefined);
      return 0;
    }
    case "list": {
      const rows = registry.list().map(({ secretHash: _omit, ...r }) => r);
      if (values.json) process.stdout.write(JSON.stringify(rows, null, 2) + "\n");
      else {
        for (const r of rows) {
          const where = r.role === "device" ? `${r.site}/${r.device}` : "-";
          const status = r.revokedAt ? `revoked ${r.revokedAt}` : "active";
          process.stdout.write(`${r.username}\t${r.role}\t${where}\t${status}\n`);
        }
      }
      return 0;
    }
    case "rotate": {
      if (!arg) throw new UsageError("rotate NAME");
      const { record, secret } = await registry.rotate(arg);
      printSecret(record.username, secret);
      return 0;
    }
    case "revoke": {
      if (!arg) throw new UsageError("revoke NAME");
      await registry.revoke(arg);
      process.stdout.write(`revoked ${arg}\n`);
      return 0;
    }
    default:
      throw new UsageError(`unknown command ${command}`);
  }
}

/** The secret named by --secret-env, if any. */
function givenSecret(name: string | undefined): { secret?: string } {
  if (name === undefined) return {};
  const secret = process.env[name];
  if (!secret) throw new UsageError(`--secret-env ${name}: the environment variable is not set`);
  return { secret };
}

/** Prints a generated secret once; a secret the operator supplied is never echoed. */
function printSecret(username: string, secret: string | undefined): void {
  if (secret === undefined) {
    process.stdout.write(`username: ${username}\n`);
    return;
  }
  process.stdout.write(`username: ${username}\nsecret: ${secret}\n`);
  process.stderr.write("store the secret now: only its scrypt hash is kept\n");
}

class UsageError extends Error {}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: Error) => {
    const known = err instanceof UsageError || err instanceof RegistryError || err instanceof ConfigError;
    process.stderr.write(`fieldline-broker: ${known ? err.message : (err.stack ?? err.message)}\n`);
    if (err instanceof UsageError) process.stderr.write("try --help\n");
    process.exit(known ? 2 : 1);
  },
);
