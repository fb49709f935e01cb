/** redis-server (Debian package) on a free loopback port, no persistence; readiness by PING over TCP. */
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
export function startRedis(opts: ServerOptions = {}): Promise<ServerProcess> {
  return startServerProcess(
    {
      name: "redis",
      url: (port) => `redis://127.0.0.1:${port}`,
      spawn: (port, dir) =>
        spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir], {
          stdio: "ignore",
        }),
      ready: waitPong,
      attempts: 3,
    },
    opts,
    10_000,
  );
}
