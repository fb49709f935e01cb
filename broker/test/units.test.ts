/** Unit tests: config validation, secrets, registry file store, login throttle, publish pacer, packet guard. */
import { mkdtemp, readFile, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError, parseConfigYaml } from "../src/config.ts";
import { ConnectionCounter } from "../src/limits/connection-counter.ts";
import { LoginThrottle } from "../src/limits/login-throttle.ts";
import { guardPacketSize } from "../src/limits/packet-guard.ts";
import { PublishPacer } from "../src/limits/publish-pacer.ts";
import { FileRegistryStore } from "../src/registry/file-store.ts";
import { Registry, RegistryError } from "../src/registry/registry.ts";
import { hashSecret, verifySecret } from "../src/registry/secrets.ts";
import { CHEAP_SCRYPT } from "./helpers.ts";

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
async function tempDir() {
  const d = await mkdtemp(join(tmpdir(), "fl-broker-unit-"));
  dirs.push(d);
  return d;
}

describe("config", () => {
  it("applies defaults", () => {
    const c = parseConfigYaml("listeners: {mqtt: {port: 0}}\nregistry: {file: r.json}\n");
    expect(c.listeners.mqtt).toEqual({ host: "127.0.0.1", port: 0 });
    expect(c.limits.maxPacketBytes).toBe(262144);
    expect(c.limits.publishRate.perSecond).toBe(200);
    expect(c.loginThrottle.maxFailuresPerIdentity).toBe(5);
  });

  it("reports every error at once, with paths", () => {
    const yaml = [
      "listeners: {mqtt: {port: 70000}, ws: {port: x}}",
      "limits: {maxPacketBytes: 1, publishRate: {perSecond: -1}}",
      "bogus: 1",
    ].join("\n");
    let err: ConfigError | undefined;
    try {
      parseConfigYaml(yaml);
    } catch (e) {
      err = e as ConfigError;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const text = err!.issues.join("\n");
    for (const path of ["listeners.mqtt.port", "listeners.ws.port", "limits.maxPacketBytes", "limits.publishRate.perSecond", "registry"]) {
      expect(text).toContain(path);
    }
    expect(text).toMatch(/bogus/);
  });

  it("needs at least one MQTT listener", () => {
    expect(() => parseConfigYaml("listeners: {http: {port: 0}}\nregistry: {file: r}\n")).toThrow(/at least one of mqtt/);
  });

  it("turns YAML syntax errors into ConfigError", () => {
    expect(() => parseConfigYaml("listeners: [")).toThrow(ConfigError);
  });
});

describe("secrets", () => {
  it("stores scrypt hashes and verifies only the right secret", async () => {
    const h = await hashSecret("s3cret", CHEAP_SCRYPT);
    expect(h).toMatch(/^scrypt\$1024\$8\$1\$/);
    expect(h).not.toContain("s3cret");
    expect(await verifySecret("s3cret", h)).toBe(true);
    expect(await verifySecret("s3cret!", h)).toBe(false);
    expect(await verifySecret("s3cret", "plain")).toBe(false);
  });
});

describe("registry", () => {
  it("adds, lists, rotates and revokes; the file holds no secret", async () => {
    const file = join(await tempDir(), "reg.json");
    const reg = new Registry(new FileRegistryStore(file), { scrypt: CHEAP_SCRYPT });
    await reg.load();
    const { secret } = await reg.add({ username: "d1", role: "device", site: "s1", device: "d1" });
    await reg.add({ username: "proc", role: "processor" });
    await expect(reg.add({ username: "proc", role: "processor" })).rejects.toThrow(RegistryError);
    await expect(reg.add({ username: "d2", role: "device", site: "s1", device: "other" })).rejects.toThrow(/device id/);
    await expect(reg.add({ username: "a/b", role: "operator" })).rejects.toThrow(RegistryError);
    expect((await readFile(file, "utf8")).includes(secret)).toBe(false);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(reg.list().map((r) => r.username)).toEqual(["d1", "proc"]);
    expect(await reg.verify("d1", secret)).toMatchObject({ username: "d1" });
    expect(await reg.verify("d1", secret)).toMatchObject({ username: "d1" }); // cached path
    expect(await reg.verify("d1", "wrong")).toBeUndefined();

    const rotated = await reg.rotate("d1");
    expect(await reg.verify("d1", secret)).toBeUndefined();
    expect(await reg.verify("d1", rotated.secret)).toMatchObject({ username: "d1" });
    await reg.revoke("d1");
    expect(await reg.verify("d1", rotated.secret)).toBeUndefined();
    // atomic writes leave no temp files behind
    expect((await readdir(join(file, ".."))).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  it("takes a secret the operator supplies, if it is long enough", async () => {
    const reg = new Registry(new FileRegistryStore(join(await tempDir(), "reg.json")), { scrypt: CHEAP_SCRYPT });
    const { secret } = await reg.add({ username: "proc", role: "processor", secret: "from-a-secret-store" });
    expect(secret).toBe("from-a-secret-store");
    expect(await reg.verify("proc", "from-a-secret-store")).toMatchObject({ username: "proc" });
    await expect(reg.add({ username: "op", role: "operator", secret: "short" })).rejects.toThrow(/at least 12/);
  });

  it("picks up changes written by another process (the CLI) on refresh", async () => {
    const file = join(await tempDir(), "reg.json");
    const live = new Registry(new FileRegistryStore(file), { reloadIntervalMs: 0 });
    await live.load();
    const cli = new Registry(new FileRegistryStore(file), { scrypt: CHEAP_SCRYPT });
    const { secret } = await cli.add({ username: "op", role: "operator" });
    expect(await live.verify("op", secret)).toBeUndefined();
    expect(await live.refresh()).toBe(true);
    expect(await live.verify("op", secret)).toMatchObject({ role: "operator" });
  });
});

describe("login throttle", () => {
  it("locks an identity after too many failures and unlocks after the window", () => {
    let now = 0;
    const t = new LoginThrottle({ maxFailuresPerIdentity: 3, maxFailuresPerAddress: 100, windowMs: 1000 }, () => now);
    for (let i = 0; i < 3; i++) t.failed("u", "1.1.1.1");
    expect(t.blocked("u", "2.2.2.2")).toBe("identity");
    expect(t.blocked("v", "1.1.1.1")).toBeUndefined();
    now = 1500;
    expect(t.blocked("u", "1.1.1.1")).toBeUndefined();
  });

  it("locks an address that tries many identities", () => {
    const t = new LoginThrottle({ maxFailuresPerIdentity: 100, maxFailuresPerAddress: 5, windowMs: 1000 }, () => 0);
    for (let i = 0; i < 5; i++) t.failed(`user${i}`, "9.9.9.9");
    expect(t.blocked("fresh", "9.9.9.9")).toBe("address");
    expect(t.blocked("fresh", "8.8.8.8")).toBeUndefined();
  });
});

describe("publish pacer", () => {
  it("allows the burst, then spaces publishes at the rate, then refuses far over it", () => {
    let now = 0;
    const p = new PublishPacer({ perSecond: 10, burst: 2, maxDelayMs: 250 }, () => now);
    expect(p.take()).toBe(0);
    expect(p.take()).toBe(0);
    expect(p.take()).toBeCloseTo(100);
    expect(p.take()).toBeCloseTo(200);
    expect(p.take()).toBe(Infinity);
    now = 1000;
    expect(p.take()).toBe(0);
  });

  it("releases paced publishes in the order they came, even one the rate would let through at once", async () => {
    let now = 0;
    const p = new PublishPacer({ perSecond: 100, burst: 1, maxDelayMs: 1000 }, () => now);
    const ran: number[] = [];
    expect(p.pace(() => ran.push(1))).toBe("now");
    expect(p.pace(() => ran.push(2))).toBe("later");
    now = 500; // time passed before the timer ran: a token is free again
    expect(p.pace(() => ran.push(3))).toBe("later");
    expect(ran).toEqual([1]);
    await new Promise((r) => setTimeout(r, 20));
    expect(ran).toEqual([1, 2, 3]);
  });
});

describe("connection counter", () => {
  it("limits live connections per identity, except a takeover of the same client id", () => {
    const c = new ConnectionCounter(2);
    const a = {}, b = {}, d = {}, e = {};
    expect(c.admit("u", a, "c1")).toBe(true);
    expect(c.admit("u", b, "c2")).toBe(true);
    expect(c.admit("u", d, "c3")).toBe(false);
    expect(c.admit("u", e, "c1")).toBe(true); // MQTT-3.1.4-2 takeover
    c.release("u", a);
    c.release("u", e);
    expect(c.admit("u", d, "c3")).toBe(true);
  });
});

describe("packet guard", () => {
  function run(chunks: Buffer[], max: number) {
    const s = new PassThrough();
    let announced: number | undefined;
    s.on("readable", () => {
      while (s.read() !== null);
    });
    guardPacketSize(s, max, (n) => (announced = n));
    for (const c of chunks) s.write(c);
    return new Promise<number | undefined>((r) => setImmediate(() => r(announced)));
  }
  const pub = (len: number) => Buffer.concat([Buffer.from([0x30]), varint(len), Buffer.alloc(len)]);
  function varint(n: number) {
    const out: number[] = [];
    do {
      let b = n % 128;
      n = Math.floor(n / 128);
      if (n > 0) b |= 0x80;
      out.push(b);
    } while (n > 0);
    return Buffer.from(out);
  }

  it("passes packets under the limit, split anywhere", async () => {
    const all = Buffer.concat([pub(10), pub(200), pub(1000)]);
    expect(await run([all.subarray(0, 1), all.subarray(1, 13), all.subarray(13, 14), all.subarray(14)], 2000)).toBeUndefined();
  });

  it("closes on a packet announcing more than the limit, before its body arrives", async () => {
    const big = pub(5000).subarray(0, 4);
    expect(await run([pub(10), big], 2000)).toBe(5003);
  });
});
