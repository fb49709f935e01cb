/**
 * What ships: dist/edge-agent.mjs built by build.mjs (with its stand-ins for code the agent
 * never runs), started with the node flags and environment of deploy/fieldline-edge.service,
 * reading firmware frames from a socat pty and publishing them to a real broker.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SerialPort } from "serialport";
import { encodeFrame } from "@fieldline/firmware-contracts";
import { freePort } from "@fieldline/test-support";
import { TestBroker } from "./helpers/broker";
import { Observer, until } from "./helpers/observer";
import { closePort, PtyPair, writeAll } from "./inputs/helpers/pty";
import { tempDir } from "./inputs/helpers/tmp";

const pkg = resolve(import.meta.dirname, "..");
const bundle = join(pkg, "dist/edge-agent.mjs");

/** Node flags and Environment= of the systemd unit. */
function unitRuntime(): { flags: string[]; env: Record<string, string> } {
  const unit = readFileSync(join(pkg, "deploy/fieldline-edge.service"), "utf8");
  const flags = /^ExecStart=\S+ (.*?) \/opt\/fieldline\/edge-agent\.mjs run /m.exec(unit)?.[1]?.split(" ") ?? [];
  const env = Object.fromEntries([...unit.matchAll(/^Environment=([^=\s]+)=(\S*)$/gm)].map((m) => [m[1]!, m[2]!]));
  return { flags, env };
}

const broker = new TestBroker();
const observer = new Observer(() => broker.url);
const tmp = tempDir("fl-bundle-");
const pty = new PtyPair(tmp.dir);
const runtime = unitRuntime();
let peer: SerialPort;
let agent: ChildProcess | undefined;
let log = "";
let config = "";
let httpPort = 0;

beforeAll(async () => {
  execFileSync(process.execPath, [join(pkg, "build.mjs")], { stdio: "inherit" });
  await broker.up();
  await observer.start();
  await pty.plug();
  peer = await pty.openPeer();
  peer.on("data", () => undefined); // acks, read as a UART would
  httpPort = await freePort();
  config = join(tmp.dir, "edge.yaml");
  writeFileSync(
    config,
    `device: { site: plant1, id: bundled1 }
broker: { url: "${broker.url}" }
inputs: [ { type: serial-frames, path: "${pty.dev}" } ]
telemetry: { maxBatch: 50, lingerMs: 5 }
dataDir: "${join(tmp.dir, "data")}"
http: { listen: "127.0.0.1:${httpPort}" }
log: { level: info }
`,
  );
}, 60_000);

afterAll(async () => {
  if (agent && agent.exitCode === null) {
    const exited = new Promise((r) => agent!.once("exit", r));
    agent.kill("SIGTERM");
    await exited;
  }
  await closePort(peer);
  await pty.unplug();
  await observer.stop();
  await broker.down();
  tmp.cleanup();
});

describe("the shipped bundle under the unit's flags and environment", () => {
  it("runs them (the unit sets a heap cap and malloc tuning)", () => {
    expect(runtime.flags).toContain("--max-old-space-size=64");
    expect(runtime.env.MALLOC_ARENA_MAX).toBe("2");
  });

  it("checks a config", () => {
    const out = execFileSync(process.execPath, [...runtime.flags, bundle, "check-config", "--config", config], { encoding: "utf8", env: { ...process.env, ...runtime.env } });
    expect(out).toContain(": ok");
  });

  it("reads serial frames and publishes every reading over MQTT", async () => {
    agent = spawn(process.execPath, [...runtime.flags, bundle, "run", "--config", config], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...runtime.env } });
    agent.stdout!.on("data", (d: Buffer) => (log += d.toString()));
    agent.stderr!.on("data", (d: Buffer) => (log += d.toString()));
    await until(() => log.includes('"msg":"agent started"') || agent!.exitCode !== null, 20_000, "agent start");
    expect(agent.exitCode, log).toBeNull();
    const health = (await (await fetch(`http://127.0.0.1:${httpPort}/healthz`)).json()) as Record<string, unknown>;
    expect(health).toBeTypeOf("object");

    for (let f = 0; f < 20; f++) {
      const readings = Array.from({ length: 25 }, (_, i) => ({ sensor: "flow", value: f * 25 + i }));
      await writeAll(peer, encodeFrame({ type: "readings", seq: f, body: { readings } }));
    }
    const values = () => {
      const seen = new Set<string>();
      const out = new Set<number>();
      for (const m of observer.of("telemetry").filter((x) => x.device === "bundled1")) {
        if (seen.has(`${m.boot}/${m.seq}`)) continue;
        seen.add(`${m.boot}/${m.seq}`);
        for (const r of m.readings as { value: number }[]) out.add(r.value);
      }
      return out;
    };
    await until(() => values().size === 500, 15_000, "500 readings at the broker");
    expect([...values()].sort((a, b) => a - b)).toEqual(Array.from({ length: 500 }, (_, i) => i));
  }, 60_000);
});
