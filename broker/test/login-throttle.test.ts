/**
 * Login throttling that cannot be turned against others: backoff per identity, per-address
 * limits only for unregistered names (unit, with a fake clock), and on a real broker a
 * neighbour failing 1,000 times from the same address while a device with the right secret
 * logs in at once.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Broker } from "../src/broker.ts";
import { addressKey, LoginThrottle } from "../src/limits/login-throttle.ts";
import { connackCode, makeEnv, metric, startBroker, type TestEnv } from "./helpers.ts";

const cfg = { maxFailuresPerIdentity: 3, maxFailuresPerAddress: 5, windowMs: 60_000 };

describe("LoginThrottle", () => {
  it("locks a failing identity with exponential backoff: 1 s, 2 s, 4 s ... up to windowMs", () => {
    let now = 0;
    const t = new LoginThrottle(cfg, () => now);
    const lockAfterFailure = () => {
      t.failed("dev", "10.0.0.1", true);
      const start = now;
      while (t.blocked("dev", "10.0.0.1", true)) now += 100;
      const ms = now - start;
      return ms;
    };
    expect([lockAfterFailure(), lockAfterFailure()]).toEqual([0, 0]); // the free failures
    const locks = Array.from({ length: 9 }, lockAfterFailure);
    expect(locks).toEqual([1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000, 60_000]);
  });

  it("a success clears the identity; a quiet window forgets it", () => {
    let now = 0;
    const t = new LoginThrottle(cfg, () => now);
    for (let i = 0; i < 3; i++) t.failed("dev", "10.0.0.1", true);
    expect(t.blocked("dev", "10.0.0.1", true)).toBe("identity");
    t.succeeded("dev");
    expect(t.blocked("dev", "10.0.0.1", true)).toBeUndefined();
    for (let i = 0; i < 3; i++) t.failed("dev", "10.0.0.1", true);
    now += 1000 + 60_001; // lock (1 s) over, then a window with no failure
    t.failed("dev", "10.0.0.1", true); // counts as the first again: no lock
    expect(t.blocked("dev", "10.0.0.1", true)).toBeUndefined();
    now += 120_000;
    t.sweep();
    expect(t.blocked("dev", "10.0.0.1", true)).toBeUndefined();
  });

  it("throttles unknown names per address, never a registered identity on that address", () => {
    let now = 0;
    const t = new LoginThrottle(cfg, () => now);
    for (let i = 0; i < 1000; i++) t.failed(`guess-${i}`, "10.0.0.1", false);
    expect(t.blocked("guess-new", "10.0.0.1", false)).toBe("address");
    expect(t.blocked("meter-0001", "10.0.0.1", true)).toBeUndefined();
    expect(t.blocked("guess-new", "10.0.0.2", false)).toBeUndefined();
    // A registered identity's failures do not count against the address.
    for (let i = 0; i < 1000; i++) t.failed("meter-0002", "10.0.0.3", true);
    expect(t.blocked("guess-new", "10.0.0.3", false)).toBeUndefined();
    expect(t.blocked("meter-0001", "10.0.0.3", true)).toBeUndefined();
    expect(t.blocked("meter-0002", "10.0.0.3", true)).toBe("identity");
    now += 60_001;
    expect(t.blocked("guess-new", "10.0.0.1", false)).toBeUndefined();
  });

  it("counts IPv6 addresses by their /64 and IPv4-mapped ones as IPv4", () => {
    expect(addressKey("2001:db8:1:2:aaaa::1")).toBe("2001:db8:1:2::/64");
    expect(addressKey("2001:db8:1:2::9")).toBe("2001:db8:1:2::/64");
    expect(addressKey("2001:0db8:0001:0002:0:0:0:1")).toBe("2001:db8:1:2::/64");
    expect(addressKey("::1")).toBe("0:0:0:0::/64");
    expect(addressKey("fe80::1%eth0")).toBe("fe80:0:0:0::/64");
    expect(addressKey("::ffff:192.0.2.7")).toBe("192.0.2.7");
    expect(addressKey("192.0.2.7")).toBe("192.0.2.7");
    const t = new LoginThrottle(cfg, () => 0);
    for (let i = 0; i < 5; i++) t.failed(`g${i}`, `2001:db8:1:2::${i + 1}`);
    expect(t.blocked("g-new", "2001:db8:1:2:ffff::1")).toBe("address");
  });
});

describe("a neighbour on the same address", () => {
  let env: TestEnv;
  let broker: Broker;
  let port: number;

  beforeAll(async () => {
    env = await makeEnv();
    // The shipped defaults: 5 failures per identity, 20 unknown-name failures per address, 60 s.
    broker = await startBroker(env, { listeners: { mqtt: { port: 0 }, http: { port: 0 } } });
    port = broker.ports.mqtt!;
  });
  afterAll(async () => {
    await broker?.stop();
    await env?.cleanup();
  });

  it("fails 1,000 times (a registered neighbour's wrong secret and unknown names); a device with the right secret logs in at once", async () => {
    const attempts: Promise<number>[] = [];
    const codes: number[] = [];
    for (let i = 0; i < 1000; i++) {
      const opts = i % 2 === 0 ? { username: "dev-b", clientId: "dev-b", password: `wrong-${i}` } : { username: `fuzz-${i}`, clientId: `fuzz-${i}`, password: "x" };
      attempts.push(connackCode(port, opts).then((c) => (codes.push(c), c)));
      if (attempts.length === 25) await Promise.all(attempts.splice(0));
    }
    await Promise.all(attempts);
    expect(codes).toHaveLength(1000);
    expect(codes.every((c) => c === 4 || c === 5)).toBe(true);
    // Both kinds of neighbour ended up throttled...
    expect(await metric(broker, "fl_broker_connects_total", { result: "throttled-identity" })).toBeGreaterThan(400);
    expect(await metric(broker, "fl_broker_connects_total", { result: "throttled-address" })).toBeGreaterThan(400);
    expect(await connackCode(port, { username: "fuzz-new", clientId: "fuzz-new", password: "x" })).toBe(5);
    expect(await connackCode(port, { username: "dev-b", clientId: "dev-b", password: env.secrets["dev-b"] })).toBe(5);
    // ...and the device beside them, with its right secret, gets in on its first try.
    const started = Date.now();
    expect(await connackCode(port, { username: "dev-a", clientId: "dev-a", password: env.secrets["dev-a"] })).toBe(0);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(await connackCode(port, { username: "processor", password: env.secrets["processor"] })).toBe(0);
  }, 60_000);
});
