/**
 * redis-server (Debian package) on a free loopback port; readiness by PING over TCP. No
 * persistence unless `appendfsync` is given: then AOF on (`appendonly yes`) with that fsync
 * policy, as a durable broker backend needs.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { connect } from "node:net";
import { startServerProcess, type ServerOptions, type ServerProcess } from "./process.ts";
import { sleep } from "./wait.ts";

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

async function waitPong(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`);
    if (await ping(port)) return;
    if (Date.now() > deadline) throw new Error(`redis-server not ready after ${timeoutMs} ms`);
    await sleep(20);
  }
}

/** Tries up to 3 fresh ports if the server dies at start (its port taken meanwhile). */
export function startRedis(opts: ServerOptions & { appendfsync?: "always" | "everysec" } = {}): Promise<ServerProcess> {
  const persistence = opts.appendfsync ? ["--appendonly", "yes", "--appendfsync", opts.appendfsync] : ["--appendonly", "no"];
  return startServerProcess(
    {
      name: "redis",
      url: (port) => `redis://127.0.0.1:${port}`,
      spawn: (port, dir) =>
        spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", ...persistence, "--dir", dir], {
          stdio: "ignore",
        }),
      ready: waitPong,
      attempts: 3,
    },
    opts,
    10_000,
  );
}
