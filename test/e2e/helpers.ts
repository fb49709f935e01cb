/** Shared by the e2e tests: a platform in a temp folder, run once, judged like the demo. */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CLOUD_RULE, SAFETY_RULE, type FleetPlan } from "../../scripts/platform/fleet";
import { Platform, type PlatformOptions, type Step } from "../../scripts/platform/platform";
import { judge, type Report } from "../../scripts/platform/report";

export async function runPlatform(name: string, opts: Omit<PlatformOptions, "dir" | "plan"> & { plan: Partial<FleetPlan> }, steps: Step[]): Promise<{ report: Report; platform: Platform; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `fl-e2e-${name}-`));
  const plan: FleetPlan = { seconds: 24, serialDevices: 2, mqttDevices: 30, shutoffAt: 10, seed: 11, ...opts.plan };
  const platform = new Platform({ ...opts, dir, plan });
  const cleanup = async () => {
    await platform.stop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await platform.start();
    const result = await platform.run({ steps });
    return { report: judge(result, {}, { rule: SAFETY_RULE, cloudRule: CLOUD_RULE }), platform, cleanup };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
