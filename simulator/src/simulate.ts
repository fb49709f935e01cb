/** One call from a loaded spec to a finished run: build the fleet, plan injections, run. */
import path from "node:path";
import { planInjections } from "./inject/plan";
import { buildFleet } from "./run/fleet";
import { runFleet, type RunOptions, type RunSummary } from "./run/runner";
import type { LoadedSpec } from "./spec/load";
import { createTransport } from "./transports/registry";
import type { Transport } from "./transports/transport";
import { JsonlTruth, type TruthSink } from "./truth/writer";

export interface SimulateOptions extends Partial<Omit<RunOptions, "fleet" | "plan" | "transport" | "truth">> {
  /** Overrides the spec's transport (tests pass a MemoryTransport or a pre-built one). */
  transport?: Transport;
  /** Overrides the spec's truth path (a path is relative to the working folder); a TruthSink is used as is. */
  truth?: string | TruthSink;
}

export async function simulate(loaded: LoadedSpec, opts: SimulateOptions = {}): Promise<RunSummary> {
  const { spec, baseDir } = loaded;
  const fleet = buildFleet(spec, baseDir);
  const plan = planInjections(fleet, spec.injections);
  const { transport: given, truth: truthOpt, ...rest } = opts;
  const transport = given ?? createTransport(spec.transport, baseDir);
  let truth: TruthSink | undefined;
  if (typeof truthOpt === "string") truth = await new JsonlTruth(path.resolve(truthOpt)).open();
  else if (truthOpt) truth = truthOpt;
  else if (spec.truth) truth = await new JsonlTruth(path.resolve(baseDir, spec.truth)).open();
  return runFleet({
    ...rest,
    fleet,
    plan,
    transport,
    ...(truth ? { truth } : {}),
    batch: opts.batch ?? spec.batch,
    speed: opts.speed ?? spec.speed,
  });
}
