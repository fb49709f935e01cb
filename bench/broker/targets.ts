/** The brokers under test, each started in its own process on a random loopback port. */
import { spawn, fork, execFileSync, type ChildProcess } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { userInfo } from "node:os";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { freePort } from "../../broker/test/redis.ts";

export interface Target {
  name: string;
  port: number;
  pid: number;
  stop(): Promise<void>;
}

export interface Account {
  username: string;
  secret: string;
}

/** Every broker process still running, so a failed run can stop them all. */
export const running = new Set<() => Promise<void>>();

const here = (f: string) => fileURLToPath(new URL(f, import.meta.url));

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.once("line", (l) => (rl.close(), resolve(l)));
    child.once("exit", (code) => reject(new Error(`exited ${code} before listening`)));
  });
}

function stopper(child: ChildProcess): () => Promise<void> {
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const stop = async () => {
    running.delete(stop);
    if (child.exitCode === null) child.kill("SIGTERM");
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    if (child.exitCode === null) child.kill("SIGKILL");
  };
  running.add(stop);
  return stop;
}

/** The Fieldline broker; `extra` is merged into its config (persistence, cluster). */
export async function startFieldline(registryFile: string, extra: Record<string, unknown> = {}, name = "fieldline"): Promise<Target> {
  const config = {
    ...extra,
    listeners: { mqtt: { port: 0 } },
    registry: { file: registryFile },
    limits: {
      publishRate: { perSecond: 1e6, burst: 1e6, maxDelayMs: 10_000 },
      connectionsPerIdentity: 20_000,
      maxPersistentSessions: 20_000,
    },
  };
  const child = fork(here("../../broker/test/fixtures/serve.ts"), [JSON.stringify(config)], {
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "pipe", "inherit", "ipc"],
  });
  const { ports } = JSON.parse(await firstLine(child)) as { ports: { mqtt: number } };
  return { name, port: ports.mqtt, pid: child.pid!, stop: stopper(child) };
}

export async function startPlainAedes(): Promise<Target> {
  const child = fork(here("./plain-aedes.ts"), [], { execArgv: ["--import", "tsx"], stdio: ["ignore", "pipe", "inherit", "ipc"] });
  const { port } = JSON.parse(await firstLine(child)) as { port: number };
  return { name: "aedes-plain", port, pid: child.pid!, stop: stopper(child) };
}

/**
 * Debian's mosquitto with a generated config: password file, ACL by pattern, and no
 * persistence unless `persistenceDir` is given (`persistence true`, its default autosave).
 */
export async function startMosquitto(
  dir: string,
  accounts: Account[],
  readFilter: string,
  devicePattern: string,
  opts: { name?: string; maxInflight?: number; persistenceDir?: string } = {},
): Promise<Target> {
  dir = join(dir, opts.name ?? "mosquitto");
  mkdirSync(dir, { recursive: true });
  const passwd = join(dir, "mosquitto.passwd");
  writeFileSync(passwd, "");
  for (const a of accounts) execFileSync("mosquitto_passwd", ["-b", passwd, a.username, a.secret]);
  const acl = join(dir, "mosquitto.acl");
  writeFileSync(acl, `user processor\ntopic read ${readFilter}\n\npattern write ${devicePattern}\n`);
  const port = await freePort();
  const conf = join(dir, "mosquitto.conf");
  writeFileSync(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      "allow_anonymous false",
      `password_file ${passwd}`,
      `acl_file ${acl}`,
      ...(opts.persistenceDir ? ["persistence true", `persistence_location ${opts.persistenceDir}/`] : ["persistence false"]),
      "log_dest stderr",
      "log_type error",
      "max_connections -1",
      // the Node brokers set TCP_NODELAY; without it mosquitto's small writes wait on Nagle
      "set_tcp_nodelay true",
      ...(opts.maxInflight !== undefined ? [`max_inflight_messages ${opts.maxInflight}`] : []),
      // as root, mosquitto would drop to user "mosquitto", which cannot read our 0700 temp dir
      `user ${userInfo().username}`,
      "",
    ].join("\n"),
  );
  const child = spawn("mosquitto", ["-c", conf], { stdio: ["ignore", "ignore", "inherit"] });
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      import("node:net").then(({ connect }) => {
        const s = connect(port, "127.0.0.1", () => (s.destroy(), resolve(true)));
        s.once("error", () => resolve(false));
      });
    });
    if (ok) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  return { name: opts.name ?? "mosquitto", port, pid: child.pid!, stop: stopper(child) };
}
