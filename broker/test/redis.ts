/** A real redis-server on a free loopback port with a temp dir, for clustering tests and benchmarks. */
import { spawn, type ChildProcess } from "node:child_process";
import { createServer, connect } from "node:net";

export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
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

export interface RedisServer {
  url: string;
  stop(): Promise<void>;
}

export async function startRedis(dir: string): Promise<RedisServer> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const child: ChildProcess = spawn(
      "redis-server",
      ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir],
      { stdio: "ignore" },
    );
    const exited = new Promise<void>((r) => child.once("exit", () => r()));
    for (let i = 0; i < 100; i++) {
      if (child.exitCode !== null) break;
      if (await ping(port)) {
        return {
          url: `redis://127.0.0.1:${port}`,
          stop: async () => {
            if (child.exitCode === null) child.kill("SIGTERM");
            await exited;
          },
        };
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill("SIGKILL");
  }
  throw new Error("redis-server did not start");
}
