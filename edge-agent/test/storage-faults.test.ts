/**
 * Storage faults degrade, never stop, on real file systems: a 256 KiB tmpfs that fills up
 * while the agent runs, a restart on a full disk, and a data dir on a tmpfs remounted
 * read-only. The agent keeps enforcing its safety rule throughout, keeps telemetry in a
 * bounded memory queue (counted, reported), and goes back to the disk by itself.
 * Needs root (mount); the test fails, rather than skips, without it.
 */
import { execFileSync } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { TestBroker } from "./helpers/broker";
import { Observer, until } from "./helpers/observer";
import { startRig, type Rig } from "./helpers/rig";

const SAFETY = `
rules:
  - id: overheat
    severity: critical
    when: { threshold: { sensor: water_temp, above: 95 } }
    actions: [ alert, { gpio: { line: VALVE, value: 0, latch: true } } ]
`;
const FAST = { storageRetry: { initialMs: 50, maxMs: 200 }, fullReportMs: 50 };
const broker = new TestBroker();
const observer = new Observer(() => broker.url);
const mounts: string[] = [];
let rig: Rig | undefined;

function tmpfs(size = "256k"): string {
  const dir = mkdtempSync(join(tmpdir(), "fl-tmpfs-"));
  execFileSync("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir]);
  mounts.push(dir);
  return dir;
}

/** Writes `path` until the file system is full (ENOSPC). */
function fill(path: string): void {
  const chunk = Buffer.alloc(4096, 1);
  const fd = openSync(path, "a");
  try {
    for (;;) writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOSPC") throw err;
  } finally {
    closeSync(fd);
  }
}

beforeAll(async () => {
  expect(process.getuid?.(), "these tests mount tmpfs and need root").toBe(0);
  await broker.up();
  await observer.start();
});
afterEach(async () => {
  await rig?.stop();
  rig = undefined;
});
afterAll(async () => {
  await observer.stop();
  await broker.down();
  for (const m of mounts) {
    execFileSync("umount", [m]);
    rmSync(m, { recursive: true, force: true });
  }
});

const eventsOf = (boot: string) => observer.of("events").filter((e) => e.boot === boot);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("storage faults", () => {
  it("disk full while running: safety still fires at once, telemetry goes to a bounded memory queue, the disk is used again when space returns", async () => {
    const dir = tmpfs();
    // Most of the file system taken by something else; the outbox fills the rest.
    writeFileSync(join(dir, "filler"), Buffer.alloc(160 * 1024, 1));
    rig = await startRig({
      url: broker.url,
      rules: SAFETY,
      dataDir: join(dir, "data"),
      extra: "outbox: { segmentBytes: 16384, memoryBytes: 65536 }",
      deps: FAST,
    });
    const { agent, source } = rig;
    await until(() => agent.health().mqtt === "up");
    await broker.down();
    await until(() => agent.health().mqtt === "down");
    let t = Date.now();
    const health = () => agent.health();
    for (let i = 0; i < 2000 && health().storage.state === "ok"; i++) {
      source.push(...Array.from({ length: 100 }, () => ({ sensor: "flow", t: t++, value: 1.5 })));
      await sleep(2);
    }
    expect(health().storage.state).toBe("degraded");
    expect(health().storage.fault?.code).toBe("ENOSPC");
    fill(join(dir, "filler-2")); // and not one block left
    expect(health().status).toBe("degraded");

    // The shutoff while the outbox fails: driven inside the reading's own call.
    const started = performance.now();
    source.push({ sensor: "water_temp", t: t++, value: 97 });
    const shutoffMs = performance.now() - started;
    expect(await rig.level(4)).toBe(0);
    expect(shutoffMs).toBeLessThan(50);
    // The whole call: rules, the GPIO write, then the event (to memory) and the failed latch write.
    console.log(`shutoff with the outbox failing (ENOSPC): push() returned after ${shutoffMs.toFixed(3)} ms, line already low`);
    // The latch file cannot be written either: the latch holds in memory and is retried.
    expect(health().storage.latches).toMatch(/not on disk: .*ENOSPC/);
    expect(agent.outputs!.states().find((s) => s.name === "VALVE")?.latchedBy).toBe("overheat");

    // Past the memory bound the full policy applies (drop-oldest), counted.
    for (let i = 0; i < 40; i++) {
      source.push(...Array.from({ length: 100 }, () => ({ sensor: "flow", t: t++, value: 2.5 })));
      await sleep(1);
    }
    await until(() => agent.outbox.stats().dropped > 0, 5000, "memory queue full");
    const metrics = await (await fetch(`http://127.0.0.1:${agent.httpPort}/metrics`)).text();
    expect(metrics).toMatch(/fieldline_edge_storage_degraded 1/);
    expect(metrics).toMatch(/fieldline_edge_storage_errors_total\{op="append",code="ENOSPC"\} [1-9]/);

    // Space returns: the memory queue moves onto the disk, the latch file is written.
    rmSync(join(dir, "filler"));
    await until(() => health().storage.state === "ok" && health().storage.latches === "ok", 10_000, "storage recovered");
    const latches = JSON.parse(readFileSync(join(dir, "data", "latches.json"), "utf8")) as { line: string }[];
    expect(latches.map((l) => l.line)).toEqual(["VALVE"]);
    await broker.up();
    const types = () => eventsOf(agent.envelope.boot).map((e) => e.type);
    await until(() => ["storage-degraded", "storage-recovered", "outbox-full", "rule-fired"].every((x) => types().includes(x)), 10_000, "events published").catch((e: unknown) => { throw new Error(`${String(e)}: ${JSON.stringify(types())}`); });
    await until(() => agent.outbox.stats().depth === 0, 10_000, "outbox drained");
    const lastFlow = observer
      .of("telemetry")
      .filter((m) => m.boot === agent.envelope.boot)
      .flatMap((m) => m.readings as { sensor: string; t: number }[])
      .filter((r) => r.sensor === "flow")
      .reduce((a, r) => Math.max(a, r.t), 0);
    expect(lastFlow).toBe(t - 1); // the newest readings survived (drop-oldest), through memory
  });

  it("a fully acknowledged outbox gives its space back at start: a restart on a full disk runs normally", async () => {
    const dir = tmpfs();
    const data = join(dir, "data");
    rig = await startRig({ url: broker.url, rules: SAFETY, dataDir: data, extra: "outbox: { segmentBytes: 65536 }", deps: FAST });
    let t = Date.now();
    for (let i = 0; i < 20; i++) rig.source.push(...Array.from({ length: 100 }, () => ({ sensor: "flow", t: t++, value: 3 })));
    await until(() => rig!.agent.outbox.stats().depth === 0 && rig!.agent.outbox.stats().bytes > 16_384, 10_000, "all acked");
    await rig.stop();
    const before = readdirSync(join(data, "outbox")).filter((f) => f.startsWith("seg-"));
    expect(before.length).toBe(1);
    fill(join(dir, "filler")); // the disk is now full

    rig = await startRig({ url: broker.url, rules: SAFETY, dataDir: data, deps: FAST });
    // The acknowledged segment is gone, so the agent can write again.
    expect(existsSync(join(data, "outbox", before[0]!))).toBe(false);
    rig.source.push({ sensor: "water_temp", t: Date.now(), value: 97 });
    expect(await rig.level(4)).toBe(0);
    await until(() => eventsOf(rig!.agent.envelope.boot).some((e) => e.type === "rule-fired"), 5000, "event published");
    expect(rig.agent.health().storage).toMatchObject({ state: "ok", errors: 0 });
  });

  it("a read-only data dir at start: the agent runs from memory, enforces safety, and opens the outbox once it is writable", async () => {
    const dir = tmpfs();
    execFileSync("mount", ["-o", "remount,ro", dir]);
    rig = await startRig({ url: broker.url, rules: SAFETY, dataDir: join(dir, "data"), deps: FAST });
    const health = () => rig!.agent.health() as { status: string; storage: { state: string; fault?: { op: string; code: string } } };
    expect(health().storage).toMatchObject({ state: "degraded", fault: { op: "open", code: "EROFS" } });
    rig.source.push({ sensor: "water_temp", t: Date.now(), value: 99 });
    expect(await rig.level(4)).toBe(0);
    // Published from memory meanwhile (the broker is up).
    const types = () => eventsOf(rig!.agent.envelope.boot).map((e) => e.type);
    await until(() => types().includes("storage-degraded") && types().includes("rule-fired"), 5000, "events from memory");
    execFileSync("mount", ["-o", "remount,rw", dir]);
    rig.source.push({ sensor: "flow", t: Date.now(), value: 1 });
    await until(() => health().storage.state === "ok", 10_000, "outbox opened").catch((e: unknown) => {
      throw new Error(`${String(e)}: ${JSON.stringify(health().storage)}`);
    });
    rig.source.push({ sensor: "flow", t: Date.now() + 1, value: 2 });
    await until(() => readdirSync(join(dir, "data", "outbox")).some((f) => f.startsWith("seg-")), 5000, "segment on disk");
    await until(() => types().includes("storage-recovered"), 5000, "storage-recovered published");
  });
});
