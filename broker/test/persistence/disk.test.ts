/**
 * The disk persistence across restarts: whatever state a sequence of calls leaves is what a
 * new instance on the same directory recovers, with and without compaction in between, and
 * with a torn record at the end of the log.
 */
import { appendFile, readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { tempDir, type TempDir } from "@fieldline/test-support";
import { DiskPersistence } from "../../src/persistence/disk-persistence.ts";
import { decodeRecords, encodeRecord, Op } from "../../src/persistence/records.ts";

const broker = { id: "broker-1" };
const CLIENTS = ["proc", "dev-a", "dev-b"];
type P = Record<string, unknown>;

async function all(stream: Readable): Promise<P[]> {
  const out: P[] = [];
  for await (const x of stream) out.push(x as P);
  return out;
}

/** Everything observable through the persistence's read calls, as plain data. */
async function state(p: DiskPersistence, incomingIds: number[] = [1, 2, 3]) {
  const norm = (x: P | undefined) =>
    x && {
      ...Object.fromEntries(Object.entries(x).filter(([, v]) => v !== undefined)),
      ...(x.payload !== undefined ? { payload: String(x.payload) } : {}),
    };
  const out: Record<string, unknown> = { retained: (await all(p.createRetainedStream("#"))).map(norm) };
  for (const c of CLIENTS) {
    const client = { id: c };
    out[c] = {
      subs: await p.subscriptionsByClient(client),
      queue: (await all(p.outgoingStream(client))).map(norm),
      will: norm(await p.getWill(client)),
      incoming: await Promise.all(incomingIds.map((m) => p.incomingGetPacket(client, { messageId: m }).then(norm, () => null))),
    };
  }
  out.topicMatch = (await p.subscriptionsByTopic("t/1")).length;
  return out;
}

let dir: TempDir;
let open: DiskPersistence[] = [];
beforeEach(async () => {
  dir = await tempDir("fl-disk-");
  open = [];
});
afterEach(async () => {
  for (const p of open) await p.destroy();
  await dir.remove();
});

async function start(opts: { compactAfterBytes?: number } = {}): Promise<DiskPersistence> {
  const p = new DiskPersistence({ dir: dir.path, ...opts });
  await p.setup(broker);
  open.push(p);
  return p;
}
async function restart(p: DiskPersistence, opts: { compactAfterBytes?: number } = {}): Promise<DiskPersistence> {
  await p.destroy();
  open = open.filter((x) => x !== p);
  return start(opts);
}

let counter = 0;
const msg = (topic: string, payload: string, qos = 1): P => ({
  cmd: "publish",
  topic,
  payload: Buffer.from(payload),
  qos,
  retain: false,
  dup: false,
  brokerId: broker.id,
  brokerCounter: ++counter,
});

/** A mix of every kind of call, as a broker makes them. */
async function workload(p: DiskPersistence, rounds = 1): Promise<void> {
  for (let r = 0; r < rounds; r++) {
    await p.storeRetained({ ...msg(`state/${r % 3}`, `on-${r}`, 0), retain: true });
    await p.addSubscriptions({ id: "proc" }, [
      { topic: "t/+", qos: 1 },
      { topic: "x/#", qos: 0 },
    ]);
    await p.addSubscriptions({ id: "dev-a" }, [{ topic: "cmd/a", qos: 2 }]);
    const ms = [msg("t/1", `m${r}-1`), msg("t/1", `m${r}-2`), msg("t/1", `m${r}-3`)];
    for (const m of ms) await p.outgoingEnqueueCombi([{ clientId: "proc" }, { clientId: "dev-b" }], m);
    // delivered to proc with ids 1..3, acknowledged 1 and 2
    for (const [i, m] of ms.entries()) await p.outgoingUpdate({ id: "proc" }, { ...m, messageId: i + 1 });
    await p.outgoingClearMessageId({ id: "proc" }, { messageId: 1 });
    await p.outgoingClearMessageId({ id: "proc" }, { messageId: 2 });
    // a QoS 2 delivery to dev-a that reached PUBREL
    const q2 = msg("cmd/a", `c${r}`, 2);
    await p.outgoingEnqueueCombi([{ clientId: "dev-a" }], q2);
    await p.outgoingUpdate({ id: "dev-a" }, { ...q2, messageId: 7 });
    await p.outgoingUpdate({ id: "dev-a" }, { cmd: "pubrel", messageId: 7 });
    // inbound QoS 2 awaiting PUBREL; one completed
    await p.incomingStorePacket({ id: "dev-b" }, { ...msg("t/2", `in${r}`, 2), messageId: 1 });
    await p.incomingStorePacket({ id: "dev-b" }, { ...msg("t/2", `in${r}b`, 2), messageId: 2 });
    await p.incomingDelPacket({ id: "dev-b" }, { messageId: 1 });
    await p.putWill({ id: "dev-a" }, { topic: "state/a", payload: Buffer.from(`offline-${r}`), qos: 1, retain: true });
    await p.putWill({ id: "dev-b" }, { topic: "state/b", payload: Buffer.from("offline"), qos: 1, retain: true });
    await p.delWill({ id: "dev-b" });
    if (r % 2 === 1) {
      await p.removeSubscriptions({ id: "proc" }, ["x/#"]);
      await p.storeRetained({ ...msg("state/0", "", 0), retain: true }); // deletes
    }
  }
}

describe("disk persistence", () => {
  it("recovers after a restart exactly the state it had", async () => {
    let p = await start();
    await workload(p, 2);
    const before = await state(p);
    expect((before.proc as { queue: unknown[] }).queue).toHaveLength(2); // the unacknowledged third message of each round
    p = await restart(p);
    expect(await state(p)).toEqual(before);
  });

  it("recovers the same state from a snapshot plus the log after it", async () => {
    let p = await start({ compactAfterBytes: 4096 });
    counter = 0;
    await workload(p, 40);
    await p.destroy(); // waits for a running compaction
    open = [];
    const files = await readdir(dir.path);
    expect(files.some((f) => f.startsWith("snap-"))).toBe(true);
    expect(files.filter((f) => f.startsWith("log-")).length).toBeLessThanOrEqual(2);
    p = await start({ compactAfterBytes: 4096 });
    const recovered = await state(p);
    // the same calls on a persistence that never compacts give the reference state
    const ref = new DiskPersistence({ dir: join(dir.path, "ref") });
    await ref.setup(broker);
    open.push(ref);
    counter = 0;
    await workload(ref, 40);
    expect(recovered).toEqual(await state(ref));
  });

  it("keeps calls made while a compaction is running", async () => {
    let p = await start({ compactAfterBytes: 2048 });
    const queued: Promise<void>[] = [];
    // many calls issued without waiting, so compactions start while later ones are in flight
    for (let i = 0; i < 400; i++) queued.push(p.outgoingEnqueueCombi([{ clientId: "proc" }], msg("t/1", `burst-${i}`)));
    await Promise.all(queued);
    const before = await state(p);
    expect((before.proc as { queue: unknown[] }).queue).toHaveLength(400);
    p = await restart(p, { compactAfterBytes: 2048 });
    expect(await state(p)).toEqual(before);
  });

  it("drops a torn record at the end of the log and appends after the last whole one", async () => {
    let p = await start();
    await p.addSubscriptions({ id: "proc" }, [{ topic: "t/+", qos: 1 }]);
    await p.outgoingEnqueueCombi([{ clientId: "proc" }], msg("t/1", "kept"));
    await p.destroy();
    open = [];
    const [log] = (await readdir(dir.path)).filter((f) => f.startsWith("log-"));
    const file = join(dir.path, log!);
    const whole = (await stat(file)).size;
    // half of a further record, as a power cut in the middle of a write leaves it
    const torn = encodeRecord({ op: Op.outgoingEnqueue, args: { c: ["proc"], p: msg("t/1", "torn") }, payload: Buffer.from("torn") });
    await appendFile(file, torn.subarray(0, torn.length - 3));
    p = await start();
    expect((await all(p.outgoingStream({ id: "proc" }))).map((x) => String(x.payload))).toEqual(["kept"]);
    expect((await stat(file)).size).toBe(whole);
    await p.outgoingEnqueueCombi([{ clientId: "proc" }], msg("t/1", "after"));
    p = await restart(p);
    expect((await all(p.outgoingStream({ id: "proc" }))).map((x) => String(x.payload))).toEqual(["kept", "after"]);
  });

  it("has a queued message's record in the file when the enqueue resolves", async () => {
    const p = await start();
    await p.outgoingEnqueueCombi([{ clientId: "proc" }, { clientId: "dev-a" }], msg("t/1", "durable"));
    const [log] = (await readdir(dir.path)).filter((f) => f.startsWith("log-"));
    const { records } = decodeRecords(await readFile(join(dir.path, log!)));
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ op: Op.outgoingEnqueue, args: { c: ["proc", "dev-a"] } });
    expect(String(records[0]!.payload)).toBe("durable");
  });

  it("restores a will with the broker it was left on, so a dead broker's wills can be published", async () => {
    let p = await start();
    await p.putWill({ id: "dev-a" }, { topic: "state/a", payload: Buffer.from("offline"), qos: 1, retain: true });
    p = await restart(p);
    expect(await p.getWill({ id: "dev-a" })).toMatchObject({ brokerId: "broker-1", clientId: "dev-a", topic: "state/a" });
    expect(await all(p.streamWill({ "broker-1": Date.now() }))).toEqual([]);
    expect(await all(p.streamWill({}))).toHaveLength(1);
  });
});

describe("log records", () => {
  it("round-trip, and reading stops at a flipped bit or a cut", () => {
    const a = encodeRecord({ op: Op.addSubscriptions, args: { c: "x", s: [{ topic: "a/#", qos: 1 }] } });
    const b = encodeRecord({ op: Op.putWill, args: { c: "x", p: { topic: "w" } }, payload: "text payload" });
    const both = Buffer.concat([a, b]);
    const d = decodeRecords(both);
    expect(d.validBytes).toBe(both.length);
    expect(d.records[1]).toEqual({ op: Op.putWill, args: { c: "x", p: { topic: "w" } }, payload: "text payload" });
    const flipped = Buffer.from(both);
    flipped[a.length + 12]! ^= 0x40;
    expect(decodeRecords(flipped)).toMatchObject({ validBytes: a.length, records: [{ op: Op.addSubscriptions }] });
    expect(decodeRecords(both.subarray(0, both.length - 1)).validBytes).toBe(a.length);
  });
});
