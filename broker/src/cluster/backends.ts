/**
 * Where messages travel and sessions live: one table, picked by config. Disk (the default)
 * or memory for a single instance; Redis (mqemitter-redis + aedes-persistence-redis) when
 * several instances share clients, retained messages and sessions.
 *
 * The emitter is built with concurrency 0. With mqemitter's default bounded queue
 * (concurrency 100), every queued message whose emit completes synchronously (no matching
 * subscriber: e.g. the wildcard subscriber just left, or a `$`-topic filtered for a `#`
 * subscription) is handed to the next one from inside `released()`:
 * released -> _do -> fastparallel (0 listeners, calls back at once) -> released -> ...
 * With thousands of messages queued during a QoS 0 flood that recursion overflows the stack
 * ("RangeError: Maximum call stack size exceeded"). Without the queue there is nothing to
 * recurse over; Aedes still applies backpressure, because it reads a publisher's next chunk
 * only after every message of the current one was delivered (or dropped by authorizeForward).
 *
 * The Redis persistence's subscription writes go through `serializeSubscriptionWrites`
 * (subscription-writes.ts): as installed, a clean-session-off SUBSCRIBE with two filters is
 * never acknowledged.
 */
import { createRequire } from "node:module";
import aedesMemoryPersistence from "aedes-persistence";
import mqemitter from "mqemitter";
import type { Logger } from "pino";
import { DiskPersistence } from "../persistence/disk-persistence.ts";
import { serializeSubscriptionWrites, type SubscriptionWrites } from "./subscription-writes.ts";

const require = createRequire(import.meta.url);

export interface Backend {
  mq: unknown;
  persistence: { destroy(cb?: () => void): unknown; healthy?: boolean };
}

export interface BackendOptions {
  redis?: string;
  /** Disk backend: its data directory. */
  dir?: string;
  compactAfterBytes?: number;
  log?: Logger;
}

type Factory = (opts: BackendOptions) => Backend;

function redisOptions(url: string): Record<string, unknown> {
  const u = new URL(url);
  return {
    host: u.hostname,
    port: Number(u.port || 6379),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.pathname.length > 1 ? { db: Number(u.pathname.slice(1)) } : {}),
  };
}

export type BackendName = "disk" | "memory" | "redis";

export const BACKENDS: Record<BackendName, Factory> = {
  disk: (opts) => {
    if (!opts.dir) throw new Error("disk backend needs a directory");
    return {
      mq: mqemitter({ concurrency: 0, matchEmptyLevels: true }),
      persistence: new DiskPersistence({
        dir: opts.dir,
        ...(opts.compactAfterBytes ? { compactAfterBytes: opts.compactAfterBytes } : {}),
        ...(opts.log ? { log: opts.log } : {}),
      }),
    };
  },
  memory: () => ({
    mq: mqemitter({ concurrency: 0, matchEmptyLevels: true }),
    persistence: aedesMemoryPersistence() as unknown as Backend["persistence"],
  }),
  redis: (opts) => {
    if (!opts.redis) throw new Error("redis backend needs a URL");
    const mqemitterRedis = require("mqemitter-redis") as (o: object) => unknown;
    const persistenceRedis = require("aedes-persistence-redis") as (
      o: object,
    ) => Backend["persistence"] & SubscriptionWrites;
    const conn = redisOptions(opts.redis);
    return {
      mq: mqemitterRedis({ ...conn, concurrency: 0, matchEmptyLevels: true }),
      // a multi-filter SUBSCRIBE is never acknowledged without this: see subscription-writes.ts.
      // maxSessionDelivery -1: a returning session gets its whole queue (the default, 1000,
      // leaves the rest in Redis until the next reconnect)
      persistence: serializeSubscriptionWrites(persistenceRedis({ ...conn, maxSessionDelivery: -1 })),
    };
  },
};
