#!/usr/bin/env -S npx tsx
import { readFile, writeFile } from "node:fs/promises";
import { extname } from "node:path";
import { parseArgs } from "node:util";
import { parse as parseYaml } from "yaml";
import { formatIssue, RulesError } from "./errors.ts";
import { formatTable } from "./format.ts";
import { rulesJsonSchema } from "./jsonschema.ts";
import { loadRulesFile } from "./parse.ts";
import { parseRecords, parseTime, replay } from "./replay.ts";
import type { EvaluatorSnapshot } from "./snapshot.ts";
import type { DeviceInfo } from "./types.ts";

const HELP = `fieldline-rules: check rule files and replay recorded telemetry through them

Usage:
  rules check <rules.yaml>...
      Validate rule files. Prints file:line:column: path: message for every problem
      and exits 1 if there is any.

  rules schema
      Print the JSON Schema of a rules file (for editors and the YAML language server).

  rules replay <rules.yaml> <telemetry.(jsonl|csv)|-> [options]
      Run the rules over recorded readings (in file order) and print the transitions.
      JSONL lines: {"device","sensor","t","value"}; t in ms or ISO 8601; optional "boot".
      CSV: header with device,sensor,t (or time/timestamp),value (and optionally boot).
      Readings whose value is not a finite number (null, NaN, empty, text) are skipped;
      their count and first lines go to stderr.

Replay options:
  --format table|json   output: aligned table (default) or one JSON transition per line
  --json                same as --format json
  --input-format jsonl|csv   when reading stdin or a file without .csv/.jsonl extension
  --devices <file>      fleet as JSON/YAML: [{id, labels}] or {id: {labels}}; these devices
                        are watched from the start (stale rules fire if they never report)
  --start <t>           event time at which watching starts (default: first reading)
  --until <t>           advance every device's event time to t after the last reading
                        (each device's readings move only its own event time)
  --from-snapshot <f>   resume from a snapshot written by --snapshot
  --snapshot <f>        write the evaluator's state after the last reading
  -h, --help            this help

Exit codes: 0 ok, 1 invalid rules or telemetry, 2 usage error.
Run as: npx tsx rules/src/cli.ts ... or npm run -w @fieldline/rules rules -- ...`;

class UsageError extends Error {}

async function check(args: string[]): Promise<number> {
  // No options: an unknown flag is a usage error, not a file name.
  const files = parseArgs({ args, allowPositionals: true, options: {} }).positionals;
  if (files.length === 0) throw new UsageError("check needs at least one rules file");
  let failed = 0;
  for (const f of files) {
    try {
      const rs = await loadRulesFile(f);
      process.stdout.write(
        `${f}: ok (${rs.rules.length} rule${rs.rules.length === 1 ? "" : "s"})\n`,
      );
    } catch (e) {
      failed++;
      if (e instanceof RulesError)
        for (const i of e.issues) process.stderr.write(formatIssue(i) + "\n");
      else process.stderr.write(`${f}: ${(e as Error).message}\n`);
    }
  }
  return failed > 0 ? 1 : 0;
}

function deviceList(raw: unknown): DeviceInfo[] {
  if (Array.isArray(raw)) return raw as DeviceInfo[];
  if (raw && typeof raw === "object")
    return Object.entries(raw as Record<string, { labels?: Record<string, string> } | null>).map(
      ([id, v]) => (v?.labels ? { id, labels: v.labels } : { id }),
    );
  throw new UsageError("--devices: expected a list of {id, labels} or a map of id to {labels}");
}

async function replayCmd(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      format: { type: "string" },
      json: { type: "boolean" },
      "input-format": { type: "string" },
      devices: { type: "string" },
      start: { type: "string" },
      until: { type: "string" },
      "from-snapshot": { type: "string" },
      snapshot: { type: "string" },
    },
  });
  const [rulesFile, dataFile] = positionals;
  if (!rulesFile || !dataFile || positionals.length > 2)
    throw new UsageError("replay needs <rules.yaml> <telemetry>");
  const format = values.json ? "json" : (values.format ?? "table");
  if (format !== "table" && format !== "json")
    throw new UsageError("--format must be table or json");
  const time = (name: string, v: string | undefined) => {
    if (v === undefined) return undefined;
    const t = parseTime(v);
    if (t === undefined) throw new UsageError(`--${name}: expected ms or ISO 8601, got ${v}`);
    return t;
  };

  let rules;
  try {
    rules = await loadRulesFile(rulesFile);
  } catch (e) {
    if (!(e instanceof RulesError)) throw e;
    for (const i of e.issues) process.stderr.write(formatIssue(i) + "\n");
    return 1;
  }
  const text = dataFile === "-" ? await readStdin() : await readFile(dataFile, "utf8");
  const ext = extname(dataFile).toLowerCase();
  const inputFormat = values["input-format"] ?? (ext === ".csv" ? "csv" : "jsonl");
  if (inputFormat !== "csv" && inputFormat !== "jsonl")
    throw new UsageError("--input-format must be jsonl or csv");
  let parsed;
  try {
    parsed = parseRecords(text, inputFormat);
  } catch (e) {
    process.stderr.write(`${dataFile}: ${(e as Error).message}\n`);
    return 1;
  }
  const { records, skipped, skippedLines } = parsed;
  if (skipped > 0)
    process.stderr.write(
      `${dataFile}: skipped ${skipped} reading${skipped === 1 ? "" : "s"} whose value is not a ` +
        `finite number (line${skipped === 1 ? "" : "s"} ${skippedLines.join(", ")}` +
        `${skipped > skippedLines.length ? ", …" : ""})\n`,
    );
  const devices = values.devices
    ? deviceList(parseYaml(await readFile(values.devices, "utf8")))
    : undefined;
  const from = values["from-snapshot"]
    ? (JSON.parse(await readFile(values["from-snapshot"], "utf8")) as EvaluatorSnapshot)
    : undefined;
  let snap: EvaluatorSnapshot | undefined;
  const start = time("start", values.start);
  const until = time("until", values.until);
  const transitions = replay(rules, records, {
    ...(devices ? { devices } : {}),
    ...(start !== undefined ? { start } : {}),
    ...(until !== undefined ? { until } : {}),
    ...(from ? { from } : {}),
    onSnapshot: (s) => (snap = s),
  });
  if (values.snapshot && snap) await writeFile(values.snapshot, JSON.stringify(snap) + "\n");
  if (format === "json")
    for (const t of transitions) process.stdout.write(JSON.stringify(t) + "\n");
  else
    process.stdout.write(transitions.length ? formatTable(transitions) + "\n" : "no transitions\n");
  return 0;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    if (!cmd || cmd === "-h" || cmd === "--help" || cmd === "help") {
      process.stdout.write(HELP + "\n");
      return cmd ? 0 : 2;
    }
    if (rest.includes("-h") || rest.includes("--help")) {
      process.stdout.write(HELP + "\n");
      return 0;
    }
    if (cmd === "check") return await check(rest);
    if (cmd === "replay") return await replayCmd(rest);
    if (cmd === "schema") {
      if (rest.length > 0) throw new UsageError(`schema takes no arguments (got ${rest[0]})`);
      process.stdout.write(JSON.stringify(rulesJsonSchema(), null, 2) + "\n");
      return 0;
    }
    throw new UsageError(`unknown command "${cmd}"`);
  } catch (e) {
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      process.stderr.write(`${(e as Error).message}\n\n${HELP}\n`);
      return 2;
    }
    if ((e as { code?: string }).code === "ENOENT") {
      process.stderr.write(`${(e as Error).message}\n`);
      return 1;
    }
    throw e;
  }
}

// `npm run -w @fieldline/rules rules -- check f.yaml` runs in rules/; paths are the caller's.
if (process.env.npm_lifecycle_event === "rules" && process.env.INIT_CWD)
  process.chdir(process.env.INIT_CWD);
process.exitCode = await main(process.argv.slice(2));
