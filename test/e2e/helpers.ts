/** Shared by the e2e tests: a platform in a temp folder, run once, judged like the demo. */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CLOUD_RULE, SAFETY_RULE, type FleetPlan } from "../../scripts/platform/fleet";
import { Platform, type PlatformOptions, type Step } from "../../scripts/platform/platform";
import { killAll } from "../../scripts/platform/process";
import { judge, type Report } from "../../scripts/platform/report";

/**
 * One platform per test file. `stop()` belongs in afterAll: it also runs when the test timed
 * out in the middle of a run, so no broker, processor or database outlives the file.
 */
export class PlatformRun {
  private platform: Platform | undefined;
  private dir: string | undefined;

  async run(name: string, opts: Omit<PlatformOptions, "dir" | "plan"> & { plan: Partial<FleetPlan> }, steps: Step[]): Promise<Report> {
    this.dir = await mkdtemp(join(tmpdir(), `fl-e2e-${name}-`));
    const plan: FleetPlan = { seconds: 24, serialDevices: 2, mqttDevices: 30, shutoffAt: 10, seed: 11, ...opts.plan };
    this.platform = new Platform({ ...opts, dir: this.dir, plan });
    await this.platform.start();
    const result = await this.platform.run({ steps });
    return judge(result, {}, { rule: SAFETY_RULE, cloudRule: CLOUD_RULE });
  }

  async stop(): Promise<void> {
    await this.platform?.stop().catch(() => undefined);
    killAll();
    if (this.dir && !process.env.FL_KEEP) await rm(this.dir, { recursive: true, force: true });
  }
}
