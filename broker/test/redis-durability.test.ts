/** The broker's start-up check of the Redis persistence settings (CONFIG GET), against real redis-servers. */
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Broker } from "../src/broker.ts";
import { checkRedisDurability } from "../src/cluster/redis-durability.ts";
import { ConfigError, parseConfig } from "../src/config.ts";
import { makeEnv, startBroker, type TestEnv } from "./helpers.ts";
import { startRedis, type RedisServer } from "./redis.ts";

let env: TestEnv;
const servers: Record<string, RedisServer> = {};
beforeAll(async () => {
  env = await makeEnv();
  for (const mode of ["always", "everysec", "no", "off"] as const) servers[mode] = await startRedis(`${env.dir}/redis-${mode}`, { appendfsync: mode });
});
afterAll(async () => {
  for (const s of Object.values(servers)) await s.stop();
  await env?.cleanup();
});

describe("Redis persistence check", () => {
  it("accepts appendonly yes with appendfsync always or everysec, and names what is wrong otherwise", async () => {
    expect(await checkRedisDurability(servers.always!.url)).toEqual({ appendonly: "yes", appendfsync: "always", problems: [] });
    expect((await checkRedisDurability(servers.everysec!.url)).problems).toEqual([]);
    const no = await checkRedisDurability(servers.no!.url);
    expect(no.problems).toHaveLength(1);
    expect(no.problems[0]).toMatch(/appendfsync is no/);
    const off = await checkRedisDurability(servers.off!.url);
    expect(off.problems[0]).toMatch(/appendonly is no/);
  });

  it("refuses to start on a Redis without AOF by default, and starts with a warning when told to", async () => {
    const config = parseConfig({
      listeners: { mqtt: { port: 0 } },
      registry: { file: env.registryFile },
      cluster: { redis: servers.off!.url },
    });
    const refused = new Broker(config, { log: pino({ level: "silent" }), processMetrics: false });
    const err = await refused.start().then(
      () => undefined,
      (e: unknown) => e,
    );
    await refused.stop();
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).issues[0]).toMatch(/^cluster\.redis: appendonly is no/);

    const warned: unknown[] = [];
    const log = pino({ level: "warn" }, { write: (line: string) => warned.push(JSON.parse(line)) });
    const b = new Broker(parseConfig({ ...config, cluster: { redis: servers.off!.url, redisDurability: "warn" } }), { log, processMetrics: false });
    await b.start();
    expect(b.health().ok).toBe(true);
    await b.stop();
    expect(warned).toContainEqual(expect.objectContaining({ msg: "Redis may lose acknowledged messages" }));
  });

  it("starts on a Redis with appendfsync always", async () => {
    const b = await startBroker(env, { cluster: { redis: servers.always!.url } });
    expect(b.health().ok).toBe(true);
    await b.stop();
  });
});
