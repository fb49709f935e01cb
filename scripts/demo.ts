/**
 * `npm run demo`: the whole Fieldline platform on this machine, no servers installed by hand.
 * Our broker with per-device credentials, the cloud processor (file sink, or InfluxDB with
 * --influx-url), edge agents on virtual serial ports, an MQTT fleet, an injected anomaly that
 * raises alerts, a latched safety shutoff; a report at the end. Exit status 0 when every
 * check passed, 1 when one failed, 2 on bad usage.
 */
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { CLOUD_RULE, SAFETY_RULE, type FleetPlan } from "./platform/fleet";
import { LiveLine } from "./platform/live";
import { Platform } from "./platform/platform";
import { killAll, ROOT } from "./platform/process";
import { formatReport, judge } from "./platform/report";
import { ensureSocat } from "./platform/socat";
import type { StoreChoice } from "./platform/store";

const HELP = `npm run demo -- [options]

  --quick               a short run: 20 s, 40 MQTT devices, 2 edge devices
  --seconds N           how long the fleets run (default 60)
  --devices N           devices straight over MQTT (default 150)
  --edge-devices N      devices through edge agents on virtual serial ports (default 3)
  --influx-url URL      write to InfluxDB (v2 API) instead of the line-protocol file
  --influx-token T      its API token (or INFLUX_TOKEN)
  --influx-org ORG      organisation (default fieldline)
  --influx-bucket B     bucket (default telemetry)
  --dir DIR             work folder (default: a new folder under ${tmpdir()})
  --json FILE           also write the report as JSON
  --stay                keep the platform running after the report (browse the API) until Ctrl-C
  -h, --help
`;

function usage(msg: string): never {
  process.stderr.write(`${msg}\n\n${HELP}`);
  process.exit(2);
}

const { values } = (() => {
  try {
    return parseArgs({
      options: {
        quick: { type: "boolean" },
        seconds: { type: "string" },
        devices: { type: "string" },
        "edge-devices": { type: "string" },
        "influx-url": { type: "string", default: process.env.INFLUX_URL },
        "influx-token": { type: "string", default: process.env.INFLUX_TOKEN },
        "influx-org": { type: "string" },
        "influx-bucket": { type: "string" },
        dir: { type: "string" },
        json: { type: "string" },
        stay: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (err) {
    usage((err as Error).message);
  }
})();
if (values.help) {
  process.stdout.write(HELP);
  process.exit(0);
}

const int = (v: string | undefined, def: number, min: number, name: string): number => {
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) usage(`${name} must be an integer >= ${min}`);
  return n;
};
const quick = values.quick ?? false;
const seconds = int(values.seconds, quick ? 20 : 60, 12, "--seconds");
const plan: FleetPlan = {
  seconds,
  serialDevices: int(values["edge-devices"], quick ? 2 : 3, 1, "--edge-devices"),
  mqttDevices: int(values.devices, quick ? 40 : 150, 1, "--devices"),
  shutoffAt: Math.round(seconds * 0.4),
  seed: 7,
};
const store: StoreChoice = values["influx-url"]
  ? {
      kind: "influxdb",
      url: values["influx-url"],
      ...(values["influx-token"] ? { token: values["influx-token"] } : {}),
      ...(values["influx-org"] ? { org: values["influx-org"] } : {}),
      ...(values["influx-bucket"] ? { bucket: values["influx-bucket"] } : {}),
    }
  : { kind: "file" };

const live = new LiveLine();
const socat = ensureSocat((m) => live.say(m));
if (!socat.ok) {
  process.stderr.write(socat.message);
  process.exit(1);
}

const dir = resolve(values.dir ?? (await mkdtemp(join(tmpdir(), "fieldline-demo-"))));
const platform = new Platform({ dir, plan, store, detection: true, log: (m) => live.say(m) });

let verdict: number | undefined;
let shuttingDown: Promise<never> | undefined;
/** Stops everything once; later calls (a failing run after Ctrl-C) wait for the first. */
function shutdown(code: number): Promise<never> {
  shuttingDown ??= (async () => {
    const hard = setTimeout(() => (killAll(), process.exit(code)), 15_000);
    await platform.stop().catch(() => undefined);
    clearTimeout(hard);
    killAll();
    process.exit(code);
  })();
  return shuttingDown;
}
process.on("exit", killAll);
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.once(sig, () => {
    live.done();
    process.stderr.write(`\n${sig}: stopping every process the demo started…\n`);
    void shutdown(verdict ?? 130);
  });
}

live.say(`Fieldline demo: work folder ${dir}`);
try {
  await platform.start();
  const result = await platform.run({ onStatus: (s) => live.update(s), statusEveryMs: process.stderr.isTTY ? 250 : 1000 });
  live.done();
  const readme = (p: string) => join(ROOT, p);
  const where: Record<string, string> = {
    ...(store.kind === "file" ? { "stored points": platform.store.describe.replace(/^line-protocol file /, "") } : { "stored points": platform.store.describe }),
    "ground truth": `${join(dir, "truth")}/{mqtt,serial}.truth.jsonl`,
    "verify again": `npx tsx simulator/src/cli.ts verify --truth ${join(dir, "truth", "mqtt.truth.jsonl")} --store file --target ${join(dir, "processor", "data", "points.lp")}`,
    "alert history": join(dir, "processor", "data", "alerts.jsonl"),
    "logs": `${dir}/{broker,processor}/*.log, ${dir}/agents/<device>/agent.log`,
    "processor API": values.stay
      ? `${platform.processor.apiUrl}/alerts, /rules, /metrics with "Authorization: Bearer ${platform.processor.apiToken}"; /healthz needs none`
      : "run with --stay to keep the platform up and browse it",
    "READMEs": [readme("README.md"), readme("edge-agent/README.md"), readme("simulator/README.md"), readme("docs/e2e.md")].join("\n" + " ".repeat(22)),
  };
  if (store.kind !== "file") delete where["verify again"];
  const report = judge(result, where, { rule: SAFETY_RULE, cloudRule: CLOUD_RULE });
  process.stdout.write(formatReport(report));
  if (values.json) await writeFile(values.json, JSON.stringify(report, null, 2));
  verdict = report.ok ? 0 : 1;
  if (values.stay) {
    process.stderr.write(`The platform keeps running (broker ${platform.broker.url}, processor API ${platform.processor.apiUrl}); Ctrl-C stops it.\n`);
    await new Promise(() => undefined);
  }
  await shutdown(verdict);
} catch (err) {
  live.done();
  process.stderr.write(`\ndemo failed: ${(err as Error).stack ?? String(err)}\n(logs are in ${dir})\n`);
  await shutdown(1);
}
