/** The CLI as an operator runs it: npx tsx broker/src/cli.ts ... in a child process. */
import { execFile, spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connackCode } from "./helpers.ts";

const run = promisify(execFile);
const CLI = fileURLToPath(new URL("../src/cli.ts", import.meta.url));
let dir: string;
let reg: string;

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, ["--import", "tsx", CLI, ...args], { timeout: 20_000 });
    return { code: 0, ...r };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}
const secretOf = (stdout: string) => /secret: (\S+)/.exec(stdout)![1]!;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "fl-broker-cli-"));
  reg = join(dir, "registry.json");
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("fieldline-broker CLI", () => {
  it("prints help", async () => {
    const r = await cli("--help");
    expect(r.code).toBe(0);
    for (const c of ["serve", "add-device", "add-account", "list", "rotate", "revoke"]) expect(r.stdout).toContain(c);
  });

  it("adds, lists, rotates and revokes; secrets are printed once and stored only hashed", async () => {
    const dev = await cli("add-device", "--registry", reg, "--site", "s1", "--device", "pump-1", "--scrypt-n", "1024");
    expect(dev.code).toBe(0);
    const acct = await cli("add-account", "--registry", reg, "--role", "node-red", "--name", "nodered", "--scrypt-n", "1024");
    expect(acct.code).toBe(0);
    const stored = await readFile(reg, "utf8");
    expect(stored).not.toContain(secretOf(dev.stdout));
    expect(stored).toContain("scrypt$1024$8$1$");

    const list = await cli("list", "--registry", reg);
    expect(list.stdout).toMatch(/pump-1\tdevice\ts1\/pump-1\tactive/);
    expect(list.stdout).toMatch(/nodered\tnode-red\t-\tactive/);

    const rotated = await cli("rotate", "--registry", reg, "pump-1", "--scrypt-n", "1024");
    expect(secretOf(rotated.stdout)).not.toBe(secretOf(dev.stdout));
    expect((await cli("revoke", "--registry", reg, "nodered")).code).toBe(0);
    const json = JSON.parse((await cli("list", "--registry", reg, "--json")).stdout) as { username: string; revokedAt?: string }[];
    expect(json.find((r) => r.username === "nodered")?.revokedAt).toBeTruthy();
    expect(JSON.stringify(json)).not.toContain("secretHash");
  });

  it("refuses bad usage with exit code 2 and a message", async () => {
    const r = await cli("add-account", "--registry", reg, "--role", "device", "--name", "x");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--role processor|node-red|operator");
    expect((await cli("rotate", "--registry", reg, "nobody")).stderr).toContain("no identity named nobody");
    expect((await cli("bogus", "--registry", reg)).code).toBe(2);
  });

  it("serves from a YAML config and stops cleanly on SIGTERM", async () => {
    const secret = secretOf((await cli("add-account", "--registry", reg, "--role", "operator", "--name", "ops", "--scrypt-n", "1024")).stdout);
    const config = join(dir, "broker.yaml");
    await writeFile(config, `listeners:\n  mqtt: {port: 0}\n  http: {port: 0}\nregistry: {file: ${reg}}\n`);
    const child = spawn(process.execPath, ["--import", "tsx", CLI, "serve", "--config", config], { stdio: ["ignore", "pipe", "inherit"] });
    const started = await new Promise<{ ports: { mqtt: number; http: number } }>((resolve) => {
      const rl = createInterface({ input: child.stdout! });
      rl.on("line", (l) => {
        const rec = JSON.parse(l) as { msg?: string; ports?: { mqtt: number; http: number } };
        if (rec.msg === "broker started") resolve(rec as { ports: { mqtt: number; http: number } });
      });
    });
    expect(await connackCode(started.ports.mqtt, { username: "ops", password: secret })).toBe(0);
    expect((await fetch(`http://127.0.0.1:${started.ports.http}/healthz`)).status).toBe(200);
    const code = await new Promise<number | null>((resolve) => {
      child.once("exit", resolve);
      child.kill("SIGTERM");
    });
    expect(code).toBe(0);
  });

  it("reports every config error at once", async () => {
    const config = join(dir, "bad.yaml");
    await writeFile(config, "listeners: {mqtt: {port: -1}}\nlimits: {maxPacketBytes: 1}\n");
    const r = await cli("serve", "--config", config);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("listeners.mqtt.port");
    expect(r.stderr).toContain("limits.maxPacketBytes");
    expect(r.stderr).toContain("registry");
  });
});
