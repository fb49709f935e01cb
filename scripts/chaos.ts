/**
 * `npm run chaos`: the platform under a seeded random fault schedule, per seed and broker
 * backend; prints each run's table, writes every report to `<dir>/chaos-report.json`.
 * Exit status 0 when every run passed, 1 when one failed, 2 on bad usage.
 */
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { ALL_KINDS, chaosSchedule, type FaultKind } from "./platform/chaos";
import { formatChaos, type ChaosReport } from "./platform/chaos-report";
import { chaosDir, runChaos } from "./platform/chaos-run";
import { serialIds } from "./platform/fleet";
import { killAll } from "./platform/process";
import { ensureSocat } from "./platform/socat";
import type { StoreChoice } from "./platform/store";

const HELP = `npm run chaos -- [options]

  --seeds 1,2,3         seeds of the fault schedules (default 1)
  --seconds N           how long the fleets run per seed (default 120, at least 30)
  --backend B           broker sessions: disk (default broker), redis, both (disk and redis), or memory (loses them)
  --store S             victoria-metrics (default; one point per series and time) or influxdb-v1
  --devices N           devices straight over MQTT (default 30)
  --edge-devices N      devices through edge agents (default 2)
  --kinds a,b           only these fault kinds (default all: ${ALL_KINDS.join(", ")})
  --dir DIR             work folder (default: a new folder under ${tmpdir()})
  --schedule            print the schedules and exit
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
        seeds: { type: "string", default: "1" },
        seconds: { type: "string", default: "120" },
        backend: { type: "string", default: "both" },
        store: { type: "string", default: "victoria-metrics" },
        devices: { type: "string", default: "30" },
        "edge-devices": { type: "string", default: "2" },
        kinds: { type: "string" },
        dir: { type: "string" },
        schedule: { type: "boolean" },
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

const int = (v: string, min: number, name: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) usage(`${name} must be an integer >= ${min}`);
  return n;
};
const seeds = values.seeds.split(",").map((x) => int(x.trim(), 0, "--seeds"));
const seconds = int(values.seconds, 30, "--seconds");
const BACKENDS = ["disk", "redis"] as const;
type Backend = "disk" | "memory" | "redis";
const ONE: readonly string[] = ["disk", "memory", "redis"];
const backends: readonly Backend[] = values.backend === "both" ? BACKENDS : ONE.includes(values.backend!) ? [values.backend as Backend] : usage("--backend must be disk, redis, both or memory");
if (values.store !== "victoria-metrics" && values.store !== "influxdb-v1") usage("--store must be victoria-metrics or influxdb-v1");
const store: StoreChoice = values.store === "victoria-metrics" ? { kind: "victoria-metrics", dedup: true } : { kind: values.store };
const kinds = values.kinds?.split(",").map((k) => k.trim()) as FaultKind[] | undefined;
for (const k of kinds ?? []) if (!ALL_KINDS.includes(k)) usage(`unknown fault kind ${k}`);
const mqttDevices = int(values.devices, 1, "--devices");
const serialDevices = int(values["edge-devices"], 1, "--edge-devices");

if (values.schedule) {
  for (const seed of seeds) {
    const s = chaosSchedule({ seed, seconds, devices: serialIds(serialDevices), ...(kinds ? { kinds } : {}) });
    process.stdout.write(`seed ${seed}:\n${s.map((f) => `  ${f.atS.toFixed(1).padStart(5)} s  ${f.kind}${f.target ? ` ${f.target}` : ""} for ${f.forS} s`).join("\n")}\n`);
  }
  process.exit(0);
}

const socat = ensureSocat((m) => process.stderr.write(`${m}\n`));
if (!socat.ok) {
  process.stderr.write(socat.message);
  process.exit(1);
}
const base = resolve(values.dir ?? (await mkdtemp(join(tmpdir(), "fieldline-chaos-"))));
await mkdir(base, { recursive: true });
process.on("exit", killAll);
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.once(sig, () => {
    process.stderr.write(`\n${sig}: stopping every process this run started (work folder ${base})\n`);
    killAll();
    process.exit(130);
  });
}

const reports: ChaosReport[] = [];
const file = join(base, "chaos-report.json");
process.stderr.write(`chaos: seeds ${seeds.join(", ")}, ${seconds} s each, broker ${backends.join(" and ")}; work folder ${base}\n`);
for (const seed of seeds) {
  for (const backend of backends) {
    const dir = chaosDir(base, seed, backend);
    try {
      const rep = await runChaos({ seed, seconds, backend, dir, store, mqttDevices, serialDevices, ...(kinds ? { kinds } : {}), log: (m) => process.stderr.write(`  [seed ${seed} ${backend}] ${m}\n`) });
      reports.push(rep);
      process.stdout.write(`\n${formatChaos(rep)}`);
    } catch (err) {
      process.stderr.write(`seed ${seed} (${backend}) could not run: ${(err as Error).stack ?? String(err)}\n`);
      reports.push({ seed, backend, ok: false, failures: [`run failed: ${(err as Error).message}`], dir } as ChaosReport);
    }
    await writeFile(file, JSON.stringify(reports, null, 2));
  }
}
const failed = reports.filter((r) => !r.ok);
process.stdout.write(`\n${reports.length - failed.length} of ${reports.length} runs passed; report: ${file}\n`);
killAll();
process.exit(failed.length ? 1 : 0);
