/**
 * A real redis-server on a free loopback port with a temp dir, for clustering tests and
 * benchmarks. By default with the persistence the broker requires (AOF, fsync on every
 * write); `kill()` stops it with SIGKILL, as a crash would.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { connect } from "node:net";
import { sleep, startServerProcess } from "@fieldline/test-support";

export { freePort } from "@fieldline/test-support";

export interface RedisServer {
  url: string;
  /** The running redis-server's pid. */
  readonly pid: number | undefined;
  /** SIGTERM; the data stays. */
  stop(): Promise<void>;
  /** SIGKILL; the data stays. */
  kill(): Promise<void>;
  /** Starts it again on the same port and data dir. */
  restart(): Promise<void>;
}

export interface RedisOptions {
  /** AOF fsync policy; "off" runs without AOF (no persistence). Default "always". */
  appendfsync?: "always" | "everysec" | "no" | "off";
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, "127.0.0.1", () => s.write("PING\r\n"));
    s.once("data", (d) => {
      s.destroy();
      resolve(d.toString().startsWith("+PONG"));
    });
    s.once("error", () => resolve(false));
  });
}

export async function startRedis(dir: string, opts: RedisOptions = {}): Promise<RedisServer> {
  const fsync = opts.appendfsync ?? "always";
  const aof = fsync === "off" ? ["--appendonly", "no"] : ["--appendonly", "yes", "--appendfsync", fsync];
  let child: ChildProcess | undefined;
  const server = await startServerProcess(
    {
      name: "redis",
      url: (port) => `redis://127.0.0.1:${port}`,
      spawn: (port, d) =>
        spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", ...aof, "--dir", d], { stdio: "ignore" }),
      ready: async (port, c, timeoutMs) => {
        const deadline = Date.now() + timeoutMs;
        while (!(await ping(port))) {
          if (c.exitCode !== null) throw new Error(`redis-server exited with ${c.exitCode}`);
          if (Date.now() > deadline) throw new Error(`redis-server not ready after ${timeoutMs} ms`);
          await sleep(20);
        }
      },
      attempts: 3,
    },
    { dir, onSpawn: (c) => (child = c) },
    10_000,
  );
  return {
    url: server.url,
    get pid() {
      return child?.pid;
    },
    stop: () => server.stop(),
    restart: () => server.restart(),
    kill: async () => {
      const c = child;
      if (!c || c.exitCode !== null || c.signalCode !== null) return;
      const exited = new Promise((r) => c.once("exit", r));
      c.kill("SIGKILL");
      await exited;
    },
  };
}
