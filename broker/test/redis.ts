/** A real redis-server on a free loopback port with a temp dir, for clustering tests and benchmarks. */
import { startRedis as startRedisServer } from "@fieldline/test-support";

export { freePort } from "@fieldline/test-support";

export interface RedisServer {
  url: string;
  stop(): Promise<void>;
}

export function startRedis(dir: string): Promise<RedisServer> {
  return startRedisServer({ dir });
}
