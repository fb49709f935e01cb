// Rules benchmark: evaluations per second of the incremental evaluator (100 rules, 1,000,000
// readings, one thread), memory per (rule, device) state, per-reading latency, and the
// naive full-recompute reference side by side on a slice (with a check that both agree).
// Run: node --expose-gc --import tsx bench/rules/bench.ts [--readings N] [--json-only]
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Evaluator, type Reading, type RuleSet, type Transition } from "../../rules/src/index.ts";
import { NaiveEvaluator } from "../../rules/test/naive.ts";
import { benchReadings, benchRules } from "./workload.ts";

const { values } = parseArgs({
  options: { readings: { type: "string" }, "json-only": { type: "boolean" } },
});
const N = Number(values.readings ?? 1_000_000);
const TARGET = 2_000_000;
const gc = (globalThis as { gc?: () => void }).gc;
const heap = () => {
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed;
};

function runOurs(rules: RuleSet, readings: Reading[], tickEvery = 10_000) {
  const ev = new Evaluator(rules);
  let transitions = 0;
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  for (let i = 0; i < readings.length; i++) {
    transitions += ev.push(readings[i]!).length;
    if (i % tickEvery === tickEvery - 1) transitions += ev.advance(readings[i]!.t).length;
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cu = process.cpuUsage(c0);
  const cpuSeconds = (cu.user + cu.system) / 1e6;
  const st = ev.stats();
  return {
    ev,
    seconds,
    cpuSeconds,
    transitions,
    evaluations: st.evaluations,
    evalPerSec: st.evaluations / seconds,
    evalPerCpuSec: st.evaluations / cpuSeconds,
    readingsPerSec: readings.length / seconds,
  };
}

function scenario(name: string, sensors: number, devices: number, grouped = false) {
  const rules = benchRules(sensors);
  const readings = benchReadings(N, devices, sensors, 10_000, 1, grouped);
  runOurs(rules, readings.slice(0, Math.min(N, 100_000))); // warm-up
  const base = heap();
  const r = runOurs(rules, readings);
  const evaluatorBytes = heap() - base; // r.ev is still alive here
  const states = r.ev.snapshot().devices.reduce((n, d) => n + d.states.length, 0);
  return {
    name,
    rules: rules.rules.length,
    sensors,
    devices,
    readings: N,
    states,
    ...r,
    ev: undefined,
    evaluatorBytes,
  };
}

/** Heap bytes per (rule, device) state: states created for `devices` devices, one reading per sensor. */
function memoryPerState(devices: number, sensors: number) {
  const rules = benchRules(sensors);
  const readings = benchReadings(devices * sensors * 3, devices, sensors);
  const base = heap();
  const ev = new Evaluator(rules);
  for (const r of readings) ev.push(r);
  const used = heap() - base;
  const states = ev.snapshot().devices.reduce((n, d) => n + d.states.length, 0);
  return { devices, states, bytesPerState: Math.round(used / states), keep: ev };
}

function latency(rules: RuleSet, readings: Reading[]) {
  const ev = new Evaluator(rules);
  const ns = new Float64Array(readings.length);
  for (let i = 0; i < readings.length; i++) {
    const t0 = process.hrtime.bigint();
    ev.push(readings[i]!);
    ns[i] = Number(process.hrtime.bigint() - t0);
  }
  ns.sort();
  const p = (q: number) => Math.round(ns[Math.min(ns.length - 1, Math.floor(q * ns.length))]!);
  return { p50ns: p(0.5), p99ns: p(0.99), p999ns: p(0.999), maxns: p(1) };
}

const key = (t: Transition) => `${t.t}|${t.rule}|${t.device}|${t.kind}`;
function sideBySide(readings: Reading[], rules: RuleSet) {
  const ours = new Evaluator(rules);
  const naive = new NaiveEvaluator(rules);
  const a: Transition[] = [];
  const b: Transition[] = [];
  let t0 = process.hrtime.bigint();
  for (const r of readings) a.push(...ours.push(r));
  const oursS = Number(process.hrtime.bigint() - t0) / 1e9;
  t0 = process.hrtime.bigint();
  for (const r of readings) b.push(...naive.push(r));
  const naiveS = Number(process.hrtime.bigint() - t0) / 1e9;
  const agree = JSON.stringify(a.map(key).sort()) === JSON.stringify(b.map(key).sort());
  const evaluations = ours.stats().evaluations;
  return {
    readings: readings.length,
    evaluations,
    transitions: a.length,
    agree,
    ours: { seconds: oursS, evalPerSec: evaluations / oursS },
    naive: { seconds: naiveS, evalPerSec: evaluations / naiveS },
    speedup: naiveS / oursS,
  };
}

const load0 = os.loadavg();
const allMatch = scenario("all 100 rules read every reading's sensor", 1, 1000);
const mixed = scenario("100 rules over 10 sensors", 10, 1000);
const grouped = scenario("same, readings grouped per device message", 10, 1000, true);
const mem = memoryPerState(2000, 10);
const memAfter = {
  bytesPerStateAfterRun: Math.round(mixed.evaluatorBytes / mixed.states),
};
const lat = latency(benchRules(1), benchReadings(200_000, 1000, 1));
const refRules = benchRules(10);
const ref = sideBySide(benchReadings(5_000, 50, 10), refRules);

const result = {
  bench: "rules",
  node: process.version,
  cpu: os.cpus()[0]?.model,
  cores: os.cpus().length,
  loadAverage: load0,
  target: { evaluationsPerSec: TARGET },
  scenarios: [allMatch, mixed, grouped].map(
    ({
      name,
      rules,
      sensors,
      devices,
      readings,
      states,
      seconds,
      cpuSeconds,
      transitions,
      evaluations,
      evalPerSec,
      evalPerCpuSec,
      readingsPerSec,
    }) => ({
      name,
      rules,
      sensors,
      devices,
      readings,
      states,
      seconds: +seconds.toFixed(3),
      cpuSeconds: +cpuSeconds.toFixed(3),
      evaluations,
      transitions,
      /** Wall clock: what this run got from a shared, loaded machine. */
      evaluationsPerSec: Math.round(evalPerSec),
      /** Per second of CPU time of this process: the one-core rate, less sensitive to other load. */
      evaluationsPerCpuSec: Math.round(evalPerCpuSec),
      readingsPerSec: Math.round(readingsPerSec),
      vsTarget: +(evalPerSec / TARGET).toFixed(2),
      vsTargetCpu: +(evalPerCpuSec / TARGET).toFixed(2),
      /** Every reading checked against all 100 rules (index lookups skip the rules that do not name its sensor). */
      ruleReadingPairsPerCpuSec: Math.round((readings * rules) / cpuSeconds),
    }),
  ),
  memory: {
    devices: mem.devices,
    states: mem.states,
    bytesPerState: mem.bytesPerState,
    ...memAfter,
    gcExposed: gc !== undefined,
  },
  latencyPerReading100Rules: lat,
  reference: {
    what: "naive evaluator recomputing each (rule, device) timeline from the full history on every reading (rules/test/naive.ts)",
    ...ref,
    ours: { seconds: +ref.ours.seconds.toFixed(3), evalPerSec: Math.round(ref.ours.evalPerSec) },
    naive: { seconds: +ref.naive.seconds.toFixed(3), evalPerSec: Math.round(ref.naive.evalPerSec) },
    speedup: +ref.speedup.toFixed(1),
  },
};
mem.keep.stats();

mkdirSync(join(import.meta.dirname, "..", "results"), { recursive: true });
writeFileSync(
  join(import.meta.dirname, "..", "results", "rules.json"),
  JSON.stringify(result, null, 2) + "\n",
);
console.log(JSON.stringify(result, null, 2));
if (!values["json-only"]) {
  const M = (x: number) => (x / 1e6).toFixed(2) + "M";
  console.log(
    "\nscenario                                     readings  evaluations  evals/s (wall)  evals/cpu-s  vs 2M/s (wall, cpu)",
  );
  for (const s of result.scenarios)
    console.log(
      `${s.name.padEnd(44)} ${M(s.readings).padStart(8)}  ${M(s.evaluations).padStart(11)}  ${M(s.evaluationsPerSec).padStart(14)}  ${M(s.evaluationsPerCpuSec).padStart(11)}  x${s.vsTarget}, x${s.vsTargetCpu}`,
    );
  console.log(
    `load average at start: ${result.loadAverage.map((x) => x.toFixed(1)).join(" ")} on ${result.cores} cores`,
  );
  console.log(
    `memory: ${result.memory.bytesPerState} B per (rule, device) state fresh (one reading per sensor), ${result.memory.bytesPerStateAfterRun} B after the ${M(N)} readings of the mixed scenario (rate windows full)`,
  );
  console.log(
    `latency per reading (100 rules): p50 ${lat.p50ns} ns, p99 ${lat.p99ns} ns, p99.9 ${lat.p999ns} ns`,
  );
  console.log(
    `reference (naive full recompute), ${ref.readings} readings: ours ${M(result.reference.ours.evalPerSec)} evals/s, naive ${M(result.reference.naive.evalPerSec)} evals/s, speedup x${result.reference.speedup}, same transitions: ${ref.agree}`,
  );
}
