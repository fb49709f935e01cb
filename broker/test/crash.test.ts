/**
 * Acknowledged means durable, tried as hard as a test can: publishers send numbered QoS 1
 * messages flat out, a persistent-session subscriber (clean session off, QoS 1, like the
 * cloud processor) goes away and comes back, and the broker, run from its CLI, is killed -9
 * or stopped with SIGTERM at random moments of a seeded schedule and started again on the
 * same data. Every message a publisher got a PUBACK for must reach the subscriber in the
 * end (duplicates allowed). With Redis, redis-server (appendfsync always) is killed -9 with
 * the broker. The memory backend fails the same check: the harness sees a loss.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { topicFilter, topics } from "@fieldline/firmware-contracts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir, type TempDir } from "@fieldline/test-support";
import { CliBroker, rng, SeqPublisher, SessionSubscriber, sleep } from "./crash-harness.ts";
import { makeEnv, type TestEnv } from "./helpers.ts";
import { freePort, startRedis, type RedisServer } from "./redis.ts";

const DEVICES = ["dev-0", "dev-1", "dev-2"].map((d) => ({ username: d, role: "device" as const, site: "crash", device: d }));

let env: TestEnv;
beforeAll(async () => {
  env = await makeEnv([...DEVICES, { username: "processor", role: "processor" }]);
});
afterAll(async () => {
  await env?.cleanup();
});

type Backend = "disk" | "memory" | "redis";
type Step = "kill" | "term" | "away" | "back";

interface Outcome {
  acked: number;
  missing: string[];
  steps: Step[];
  starts: number;
}

/** One run: a broker on its own data, three publishers, one subscriber, `plan` or a seeded random schedule. */
async function run(backend: Backend, o: { seed: number; seconds: number } | { plan: [Step, number][] }): Promise<Outcome> {
  const data: TempDir = await tempDir("fl-crash-");
  let redis: RedisServer | undefined;
  const port = await freePort();
  const config: Record<string, unknown> = {
    listeners: { mqtt: { host: "127.0.0.1", port } },
    registry: { file: env.registryFile },
    persistence: { backend: backend === "memory" ? "memory" : "disk", dir: join(data.path, "broker") },
    limits: { publishRate: { perSecond: 1e6, burst: 1e6, maxDelayMs: 10_000 } },
  };
  if (backend === "redis") {
    redis = await startRedis(join(data.path, "redis"), { appendfsync: "always" });
    config.cluster = { redis: redis.url };
  }
  const file = join(data.path, "broker.yaml");
  await writeFile(file, JSON.stringify(config)); // JSON is YAML
  const broker = new CliBroker(file);
  const login = (username: string, clientId = username) => ({ port, username, password: env.secrets[username]!, clientId });
  const steps: Step[] = [];
  let sub: SessionSubscriber | undefined;
  let pubs: SeqPublisher[] = [];
  try {
    await broker.start();
    sub = new SessionSubscriber(login("processor", "crash-processor"), topicFilter("telemetry"));
    await sub.connect(true);
    pubs = DEVICES.map((d) => new SeqPublisher(login(d.username), topics.telemetry({ site: "crash", device: d.device }), d.device));
    let present = true;
    const act = async (step: Step, pause: number) => {
      steps.push(step);
      if (step === "kill") {
        const withRedis = redis !== undefined;
        await Promise.all([broker.kill(), redis?.kill()]);
        await sleep(pause);
        if (withRedis) await redis!.restart();
        await broker.start();
      } else if (step === "term") {
        expect(await broker.term(), "graceful stop exits 0").toBe(0);
        await sleep(pause);
        await broker.start();
      } else if (step === "away" && present) {
        await sub!.away();
        present = false;
        await sleep(pause);
      } else if (step === "back" && !present) {
        await sub!.connect();
        present = true;
        await sleep(pause);
      } else await sleep(pause);
    };
    if ("plan" in o) for (const [step, pause] of o.plan) await act(step, pause);
    else {
      const r = rng(o.seed);
      const end = Date.now() + o.seconds * 1000;
      while (Date.now() < end) {
        await sleep(150 + r() * 500);
        const x = r();
        const step: Step = x < 0.3 ? "kill" : x < 0.45 ? "term" : present ? "away" : "back";
        await act(step, r() * 400);
      }
    }
    await Promise.all(pubs.map((p) => p.stop()));
    if (!present) await sub.connect();
    const want = pubs.flatMap((p, i) => [...p.acked].map((n) => `${DEVICES[i]!.device}:${n}`));
    const deadline = Date.now() + 30_000;
    while (want.some((w) => !sub!.received.has(w)) && Date.now() < deadline) await sleep(200);
    const missing = want.filter((w) => !sub!.received.has(w));
    return { acked: want.length, missing, steps, starts: broker.starts };
  } finally {
    await sub?.close();
    await broker.term();
    await redis?.stop();
    await data.remove();
  }
}

describe.each(["disk", "redis"] as const)("no acknowledged message lost across crashes and restarts (%s)", (backend) => {
  it.each([1, 2, 3])("seed %i", async (seed) => {
    const out = await run(backend, { seed, seconds: 6 });
    console.log(`${backend} seed ${seed}: ${out.acked} acknowledged, ${out.missing.length} missing, ${out.starts} broker starts, steps ${out.steps.join(" ")}`);
    expect(out.steps.filter((s) => s === "kill" || s === "term").length).toBeGreaterThan(0);
    expect(out.acked).toBeGreaterThan(backend === "disk" ? 500 : 100);
    expect(out.missing).toEqual([]);
  }, 180_000);
});

describe("the same check against the memory backend", () => {
  it("sees acknowledged messages lost when the broker is killed while the subscriber is away", async () => {
    const plan: [Step, number][] = [
      ["away", 800],
      ["kill", 200],
      ["back", 500],
    ];
    const out = await run("memory", { plan });
    console.log(`memory: ${out.acked} acknowledged, ${out.missing.length} missing`);
    expect(out.missing.length).toBeGreaterThan(0);
    // the same plan on the disk backend loses nothing
    const disk = await run("disk", { plan });
    expect(disk.acked).toBeGreaterThan(0);
    expect(disk.missing).toEqual([]);
  }, 180_000);
});
