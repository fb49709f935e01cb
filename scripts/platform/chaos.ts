/**
 * Chaos: a seeded random fault schedule for a platform run. One table of fault kinds (what
 * each holds, how long it lasts, how it begins and ends); `chaosSchedule(seed, seconds)` places
 * every kind at least once at random times with random durations, so that faults on the same
 * part never overlap and everything is back up before the fleets stop; `chaosSteps` turns the
 * schedule into the platform's steps. The same seed and length give the same schedule.
 */
import type { Platform, Step } from "./platform";
import { sleep } from "./process";
import { seededRandom } from "@fieldline/test-support";

export type FaultKind =
  | "broker-kill9"
  | "broker-stop"
  | "processor-kill9"
  | "processor-stop"
  | "store-freeze"
  | "store-stop"
  | "agent-kill9"
  | "agent-link-cut"
  | "processor-link-cut";

interface KindSpec {
  /** What the fault holds; two faults on one part never overlap ("agent:<device>" per device). */
  part: (target: string | undefined) => string;
  /** Whether it picks an edge device. */
  onAgent: boolean;
  /** Down time, seconds [min, max]. */
  downS: [number, number];
  /** Seconds the part takes to come back after the end (start-up), kept free before its next fault. */
  recoverS: number;
  begin: (p: Platform, target: string | undefined) => Promise<void>;
  end: (p: Platform, target: string | undefined) => Promise<void>;
  describe: string;
}

const device = (t: string | undefined): string => {
  if (!t) throw new Error("fault needs an edge device");
  return t;
};

export const FAULT_KINDS: Record<FaultKind, KindSpec> = {
  "broker-kill9": {
    part: () => "broker",
    onAgent: false,
    downS: [1, 4],
    recoverS: 3,
    begin: (p) => p.stopBroker(true),
    end: (p) => p.startBroker(),
    describe: "broker killed with SIGKILL, started again on the same port",
  },
  "broker-stop": {
    part: () => "broker",
    onAgent: false,
    downS: [1.5, 5],
    recoverS: 3,
    begin: (p) => p.stopBroker(),
    end: (p) => p.startBroker(),
    describe: "broker stopped with SIGTERM, started again on the same port",
  },
  "processor-kill9": {
    part: () => "processor",
    onAgent: false,
    downS: [0.5, 4],
    recoverS: 5,
    begin: (p) => p.stopProcessor(true),
    end: (p) => p.startProcessor(),
    describe: "processor killed with SIGKILL, started again",
  },
  "processor-stop": {
    part: () => "processor",
    onAgent: false,
    downS: [1, 5],
    recoverS: 5,
    begin: (p) => p.stopProcessor(),
    end: (p) => p.startProcessor(),
    describe: "processor stopped with SIGTERM, started again",
  },
  "store-freeze": {
    part: () => "store",
    onAgent: false,
    downS: [1.5, 5],
    recoverS: 0.5,
    begin: (p) => p.stopStore("freeze"),
    end: (p) => p.startStore("freeze"),
    describe: "database frozen with SIGSTOP (holds its port, answers nothing), thawed with SIGCONT",
  },
  "store-stop": {
    part: () => "store",
    onAgent: false,
    downS: [1.5, 5],
    recoverS: 1,
    begin: (p) => p.stopStore("stop"),
    end: (p) => p.startStore("stop"),
    describe: "database stopped with SIGTERM, started again on the same port and data dir",
  },
  "agent-kill9": {
    part: (t) => `agent:${device(t)}`,
    onAgent: true,
    downS: [0.5, 4],
    recoverS: 4,
    begin: (p, t) => p.killAgent(device(t)),
    end: (p, t) => p.startAgent(device(t)),
    describe: "edge agent killed with SIGKILL, started again on the same data dir and serial port",
  },
  "agent-link-cut": {
    part: (t) => `agent:${device(t)}`,
    onAgent: true,
    downS: [1.5, 6],
    recoverS: 0.5,
    begin: (p, t) => p.cutLink(device(t)),
    end: (p, t) => p.healLink(device(t)),
    describe: "network between an edge agent and the broker cut: connections reset, new ones refused",
  },
  "processor-link-cut": {
    part: () => "processor",
    onAgent: false,
    downS: [1.5, 6],
    recoverS: 0.5,
    begin: (p) => p.cutLink("processor"),
    end: (p) => p.healLink("processor"),
    describe: "network between the processor and the broker cut: connections reset, new ones refused",
  },
};

export const ALL_KINDS = Object.keys(FAULT_KINDS) as FaultKind[];

export interface Fault {
  kind: FaultKind;
  /** The edge device, for agent faults. */
  target?: string;
  /** Seconds after the fleets start. */
  atS: number;
  /** Down time, seconds. */
  forS: number;
}

export interface ScheduleOptions {
  seed: number;
  /** How long the fleets run, seconds. */
  seconds: number;
  /** Edge devices an agent fault may pick. */
  devices: string[];
  kinds?: FaultKind[];
  /** Faults beyond one per kind: default one per 20 s of run. */
  extra?: number;
}

const rng = seededRandom;

const round1 = (x: number) => Math.round(x * 10) / 10;

/** First fault this long after the fleets start (the agents are up, the fleets connected). */
export const LEAD_S = 2;
/** Every fault is over this long before the fleets stop; at least 3 s. */
export const tailS = (seconds: number) => Math.max(3, seconds * 0.1);
/** Faults on one part are at least this far apart (after the part's recovery). */
const GAP_S = 0.5;

/**
 * Every kind at least once (in a random order), then `extra` more of random kinds; each at a
 * random time with a random down time such that, per part, faults with their recovery do not
 * overlap and all end `tailS` before the fleets stop. Throws when the run is too short.
 */
export function chaosSchedule(o: ScheduleOptions): Fault[] {
  const rand = rng(o.seed);
  const kinds = [...(o.kinds ?? ALL_KINDS)];
  for (let i = kinds.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [kinds[i], kinds[j]] = [kinds[j]!, kinds[i]!];
  }
  const extra = o.extra ?? Math.floor(o.seconds / 20);
  for (let i = 0; i < extra; i++) kinds.push(ALL_KINDS[Math.floor(rand() * ALL_KINDS.length)]!);
  const lastEnd = o.seconds - tailS(o.seconds);
  const busy = new Map<string, [number, number][]>();
  const out: Fault[] = [];
  for (const [i, kind] of kinds.entries()) {
    const spec = FAULT_KINDS[kind];
    const target = spec.onAgent ? o.devices[Math.floor(rand() * o.devices.length)] : undefined;
    if (spec.onAgent && !target) throw new Error(`${kind} needs an edge device`);
    const part = spec.part(target);
    const spans = busy.get(part) ?? [];
    let placed: Fault | undefined;
    for (let attempt = 0; attempt < 200 && !placed; attempt++) {
      // Later attempts try shorter faults: the minimum down time after half of them.
      const [lo, hi] = spec.downS;
      const forS = round1(attempt < 100 ? lo + rand() * (hi - lo) : lo);
      const latest = lastEnd - forS - spec.recoverS;
      if (latest < LEAD_S) continue;
      const atS = round1(LEAD_S + rand() * (latest - LEAD_S));
      const span: [number, number] = [atS, atS + forS + spec.recoverS + GAP_S];
      if (spans.some(([a, b]) => span[0] < b && a < span[1])) continue;
      placed = { kind, ...(target ? { target } : {}), atS, forS };
      spans.push(span);
    }
    if (!placed) {
      // The kinds every run must have make the run too short; an extra fault just is not placed.
      if (i < kinds.length - extra) throw new Error(`${o.seconds} s is too short to place a ${kind} fault next to the others (seed ${o.seed})`);
      continue;
    }
    busy.set(part, spans);
    out.push(placed);
  }
  return out.sort((a, b) => a.atS - b.atS);
}

export function faultName(f: Fault): string {
  return `${f.kind}${f.target ? ` ${f.target}` : ""} for ${f.forS} s`;
}

/**
 * The schedule as platform steps: each fault begins, holds for its down time once begun, and
 * ends (the part is started again, thawed or healed). Faults on one part also wait for each
 * other at run time, so a slow restart never meets the next fault half way. A last step
 * waits for every fault and checks that every part is up again.
 */
export function chaosSteps(schedule: Fault[], seconds: number, log: (msg: string) => void = () => undefined): Step[] {
  const locks = new Map<string, Promise<void>>();
  const exclusive = (part: string, fn: () => Promise<void>): Promise<void> => {
    const run = (locks.get(part) ?? Promise.resolve()).then(fn);
    locks.set(
      part,
      run.catch(() => undefined),
    );
    return run;
  };
  const steps: Step[] = schedule.map((f) => {
    const spec = FAULT_KINDS[f.kind];
    return {
      atS: f.atS,
      name: faultName(f),
      run: (p) =>
        exclusive(spec.part(f.target), async () => {
          const t0 = Date.now();
          await spec.begin(p, f.target);
          const t1 = Date.now();
          await sleep(f.forS * 1000);
          const t2 = Date.now();
          await spec.end(p, f.target);
          log(`${faultName(f)}: began in ${t1 - t0} ms, back up in ${Date.now() - t2} ms`);
        }),
    };
  });
  steps.push({
    atS: seconds - tailS(seconds),
    name: "everything up",
    run: async (p) => {
      await Promise.all([...locks.values()]);
      const down = [
        ...(p.broker.running ? [] : ["broker"]),
        ...(p.processor.running ? [] : ["processor"]),
        ...p.agents.filter((a) => !a.running).map((a) => `edge agent ${a.device}`),
        ...[...p.links.values()].filter((l) => l.isCut).map((l) => `link ${l.name}`),
      ];
      if (down.length) throw new Error(`still down after every fault ended: ${down.join(", ")}`);
    },
  });
  return steps;
}
