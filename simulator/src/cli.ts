#!/usr/bin/env node
/**
 * fieldline-sim: run a fleet spec, check one, or verify what reached a database.
 *   npx tsx simulator/src/cli.ts --help
 */
import { execSync } from "node:child_process";
import { parseArgs } from "node:util";
import { parseDuration, formatDuration } from "./duration";
import { fmt, TtyProgress } from "./progress";
import type { FaultEvent, RunSummary } from "./run/runner";
import { buildFleet } from "./run/fleet";
import { planInjections } from "./inject/plan";
import { SpecError, loadSpec } from "./spec/load";
import { specReference } from "./spec/doc";
import { ReplayFileError } from "./sources/csv";
import { createStoreReader, storeReaders } from "./store/registry";
import { createTransport } from "./transports/registry";
import { SerialTransport } from "./transports/serial";
import { readTruth } from "./truth/read";
import { simulate } from "./simulate";
import { verify, type VerifyReport } from "./verify";

const HELP = `fieldline-sim: simulated device fleets with ground truth

Usage:
  fieldline-sim run --spec FLEET.yaml [options]     send a fleet, write the ground truth
  fieldline-sim check --spec FLEET.yaml             validate a spec and show what it makes
  fieldline-sim spec-reference                      print the spec reference (Markdown) from the schema
  fieldline-sim verify --truth TRUTH.jsonl --store KIND --target PATH|URL [options]
                                                    compare a database with the ground truth

run options:
  --spec FILE            fleet spec (YAML)
  --truth FILE           ground-truth JSONL (default: the spec's \`truth\`, else none)
  --seed N               override the spec's seed
  --duration D           override the run's event-time duration (e.g. 1h, 1d)
  --speed X|max          event time per wall time (1440 = a day in a minute) or max
  --url URL              override the MQTT broker URL
  --settle D             wait this long after the transport is up (start edge agents on the serial links)
  --wait-agents D        serial: wait up to D until every port is opened by a reader (an edge agent);
                         fail if one is not (bytes sent before a reader opens a port are lost)
  --on-outage-start CMD  shell command run when a brokerOutage window opens
  --on-outage-end CMD    shell command run when it closes
  --no-progress          no progress bar
  --json                 print the summary as JSON on stdout

verify options:
  --truth FILE           ground truth written by \`run\`
  --store KIND           ${Object.keys(storeReaders).join(" | ")}
  --target PATH|URL      line-protocol file, or the database's base URL
  --db NAME              InfluxDB database (default fieldline)
  --username U --password P
  --precision ms|s|us|ns timestamp unit of a line-protocol file (default ms)
  --measurement M        measurement holding telemetry (default telemetry)
  --field F              field holding the value (default value)
  --tolerance X          relative value tolerance (default 1e-9; VictoriaMetrics keeps ~12 digits)
  --match time|value     match by timestamp (default) or, where an edge agent stamped time
                         itself, by value per device and sensor
  --json                 print the report as JSON on stdout

Exit status: 0 ok, 1 verify found differences, 2 bad usage or spec, 3 run failed.`;

class UsageError extends Error {}

function need(v: string | undefined, name: string): string {
  if (v === undefined) throw new UsageError(`--${name} is required`);
  return v;
}

function printSummary(s: RunSummary): void {
  const rows: [string, string][] = [
    ["devices", fmt(s.devices)],
    ["series", fmt(s.series)],
    ["readings generated", fmt(s.readingsGenerated)],
    ["readings lost at devices", fmt(s.readingsLost)],
    ["readings sent", fmt(s.readingsSent)],
    ["readings acknowledged", fmt(s.readingsAcked)],
    ["messages sent / acked", `${fmt(s.messagesSent)} / ${fmt(s.messagesAcked)}`],
    ["failed sends", fmt(s.failed)],
    ["bytes", fmt(s.bytes)],
    ["labels", fmt(s.labels)],
    ["event time", formatDuration(s.eventMs)],
    ["wall time", formatDuration(s.wallMs)],
    ["rate", `${fmt(s.readingsPerSecond)} readings/s`],
    ["speed", `${s.achievedSpeed >= 100 ? fmt(s.achievedSpeed) : s.achievedSpeed.toFixed(2)}x`],
  ];
  for (const [k, v] of rows) process.stderr.write(`  ${k.padEnd(26)} ${v}\n`);
}

function printReport(r: VerifyReport): void {
  process.stderr.write(
    `${r.ok ? "OK" : "DIFFERENCES"}: expected ${fmt(r.expected)}, stored ${fmt(r.stored)}, matched ${fmt(r.matched)}, ` +
      `missing ${fmt(r.missing)}, duplicated ${fmt(r.duplicated)}, altered ${fmt(r.altered)}, unexpected ${fmt(r.unexpected)}` +
      (r.lostAtDevice ? ` (${fmt(r.lostAtDevice)} lost at devices, not expected)` : "") +
      "\n",
  );
  for (const [kind, list] of Object.entries(r.examples)) {
    for (const m of list) process.stderr.write(`  ${kind}: ${m.device}/${m.sensor} @ ${new Date(m.t).toISOString()} sent=${m.sent ?? "-"} stored=${m.stored ?? "-"}\n`);
  }
}

async function run(argv: string[]): Promise<number> {
  const { values: o } = parseArgs({
    args: argv,
    options: {
      spec: { type: "string" },
      truth: { type: "string" },
      seed: { type: "string" },
      duration: { type: "string" },
      speed: { type: "string" },
      url: { type: "string" },
      settle: { type: "string" },
      "wait-agents": { type: "string" },
      "on-outage-start": { type: "string" },
      "on-outage-end": { type: "string" },
      "no-progress": { type: "boolean" },
      json: { type: "boolean" },
    },
  });
  const loaded = await loadSpec(need(o.spec, "spec"));
  const spec = loaded.spec;
  if (o.seed !== undefined) spec.seed = Number(o.seed);
  if (o.duration !== undefined) {
    const ms = parseDuration(o.duration);
    if (!ms) throw new UsageError(`bad --duration ${o.duration}`);
    spec.duration = ms;
  }
  if (o.speed !== undefined) spec.speed = o.speed === "max" ? "max" : Number(o.speed);
  if (typeof spec.speed === "number" && !(spec.speed > 0)) throw new UsageError(`bad --speed ${o.speed}`);
  if (o.url !== undefined) {
    if (spec.transport.type !== "mqtt") throw new UsageError("--url applies to the mqtt transport only");
    spec.transport.url = o.url;
  }
  const settle = o.settle === undefined ? 0 : parseDuration(o.settle);
  if (settle === undefined) throw new UsageError(`bad --settle ${o.settle}`);
  const waitAgents = o["wait-agents"] === undefined ? 0 : parseDuration(o["wait-agents"]);
  if (waitAgents === undefined) throw new UsageError(`bad --wait-agents ${o["wait-agents"]}`);
  const transport = createTransport(spec.transport, loaded.baseDir);
  const hooks: Record<string, string | undefined> = { start: o["on-outage-start"], end: o["on-outage-end"] };
  const progress = !o["no-progress"] && process.stderr.isTTY ? new TtyProgress() : undefined;
  const summary = await simulate(loaded, {
    transport,
    ...(o.truth !== undefined ? { truth: o.truth } : {}),
    ...(progress ? { progress } : {}),
    onReady: async (t) => {
      if (t instanceof SerialTransport) for (const l of t.links()) process.stderr.write(`serial ${l.device}: ${l.path}\n`);
      if (settle > 0) await new Promise((r) => setTimeout(r, settle));
      if (waitAgents > 0 && t instanceof SerialTransport) {
        process.stderr.write(`waiting up to ${formatDuration(waitAgents)} for edge agents to open the ports\n`);
        const missing = await t.waitForReaders(waitAgents);
        if (missing.length > 0) throw new Error(`no reader opened the port of ${missing.join(", ")}`);
      }
    },
    onFault: (e: FaultEvent) => {
      const cmd = e.type === "brokerOutage" ? hooks[e.phase] : undefined;
      if (!cmd) return;
      process.stderr.write(`\nbroker outage ${e.phase}: ${cmd}\n`);
      execSync(cmd, { stdio: "inherit", env: { ...process.env, FL_OUTAGE_START: String(e.start), FL_OUTAGE_END: String(e.end) } });
    },
  });
  if (o.json) process.stdout.write(JSON.stringify(summary) + "\n");
  printSummary(summary);
  return summary.failed > 0 || summary.readingsAcked < summary.readingsSent ? 3 : 0;
}

async function check(argv: string[]): Promise<number> {
  const { values: o } = parseArgs({ args: argv, options: { spec: { type: "string" } } });
  const loaded = await loadSpec(need(o.spec, "spec"));
  const fleet = buildFleet(loaded.spec, loaded.baseDir);
  const plan = planInjections(fleet, loaded.spec.injections);
  const perHour = fleet.series.reduce((n, s) => n + 3_600_000 / s.spec.interval, 0);
  process.stderr.write(
    `${o.spec}: ok. ${fmt(fleet.devices.length)} devices, ${fmt(fleet.series.length)} series, ` +
      `~${fmt(perHour * (loaded.spec.duration / 3_600_000))} readings over ${formatDuration(loaded.spec.duration)}, ` +
      `${fmt(plan.labels.length)} labels, transport ${loaded.spec.transport.type}\n`,
  );
  return 0;
}

async function verifyCmd(argv: string[]): Promise<number> {
  const { values: o } = parseArgs({
    args: argv,
    options: {
      truth: { type: "string" },
      store: { type: "string" },
      target: { type: "string" },
      db: { type: "string" },
      username: { type: "string" },
      password: { type: "string" },
      precision: { type: "string" },
      measurement: { type: "string" },
      field: { type: "string" },
      tolerance: { type: "string" },
      match: { type: "string" },
      json: { type: "boolean" },
    },
  });
  if (o.match !== undefined && o.match !== "time" && o.match !== "value") throw new UsageError(`bad --match ${o.match}`);
  const precision = o.precision as "ms" | "s" | "us" | "ns" | undefined;
  if (precision !== undefined && !["ms", "s", "us", "ns"].includes(precision)) throw new UsageError(`bad --precision ${precision}`);
  const reader = createStoreReader(need(o.store, "store"), {
    target: need(o.target, "target"),
    ...(o.db !== undefined ? { db: o.db } : {}),
    ...(o.username !== undefined ? { username: o.username } : {}),
    ...(o.password !== undefined ? { password: o.password } : {}),
    ...(precision ? { precision } : {}),
    layout: { measurement: o.measurement ?? "telemetry", field: o.field ?? "value" },
  });
  const tolerance = o.tolerance === undefined ? undefined : Number(o.tolerance);
  const report = await verify(readTruth(need(o.truth, "truth")), reader, {
    ...(tolerance !== undefined ? { tolerance } : {}),
    ...(o.match !== undefined ? { match: o.match as "time" | "value" } : {}),
  });
  if (o.json) process.stdout.write(JSON.stringify(report) + "\n");
  printReport(report);
  return report.ok ? 0 : 1;
}

async function reference(): Promise<number> {
  process.stdout.write(specReference() + "\n");
  return 0;
}

const commands: Record<string, (argv: string[]) => Promise<number>> = { run, check, verify: verifyCmd, "spec-reference": reference };

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined || cmd === "--help" || cmd === "-h" || cmd === "help" || rest.includes("--help")) {
    process.stdout.write(HELP + "\n");
    return cmd === undefined ? 2 : 0;
  }
  const command = commands[cmd];
  try {
    if (!command) throw new UsageError(`unknown command ${JSON.stringify(cmd)}; see --help`);
    return await command(rest);
  } catch (err) {
    if (err instanceof SpecError || err instanceof UsageError || err instanceof ReplayFileError || (err as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      process.stderr.write(`${(err as Error).message}\n`);
      return 2;
    }
    process.stderr.write(`run failed: ${(err as Error).message}\n`);
    return 3;
  }
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith("/cli.ts")) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
