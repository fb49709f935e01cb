import { appendFileSync, mkdtempSync, readdirSync, rmSync, statSync, truncateSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { SegmentOutbox, type SegmentOutboxOptions } from "../src/outbox";
import type { OutboxRecord } from "../src/outbox";

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), "fl-outbox-"));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const msg = (i: number, size = 16) => {
  const payload = new Uint8Array(size);
  new DataView(payload.buffer).setUint32(0, i);
  return { kind: "telemetry" as const, retain: false, payload };
};
const numOf = (r: OutboxRecord) => new DataView(r.payload.buffer, r.payload.byteOffset).getUint32(0);

async function openBox(dir: string, opts: Partial<SegmentOutboxOptions> = {}) {
  const box = new SegmentOutbox({ dir, maxBytes: 1 << 20, fsync: "never", ...opts });
  await box.open();
  return box;
}

function readAll(box: SegmentOutbox): OutboxRecord[] {
  const out: OutboxRecord[] = [];
  for (;;) {
    const batch = box.read(100);
    if (batch.length === 0) return out;
    out.push(...batch);
  }
}

/** Waits for the coalesced cursor write (setImmediate). */
const tick = () => new Promise((r) => setImmediate(r));

describe("SegmentOutbox", () => {
  it("returns records in append order across segments, ids strictly increasing", async () => {
    const box = await openBox(tmp(), { segmentBytes: 4096 });
    for (let i = 0; i < 1000; i++) expect(box.append(msg(i)).ok).toBe(true);
    const recs = readAll(box);
    expect(recs.map(numOf)).toEqual([...Array(1000).keys()]);
    for (let i = 1; i < recs.length; i++) expect(recs[i]!.id).toBeGreaterThan(recs[i - 1]!.id);
    expect(box.stats().depth).toBe(1000);
    await box.close();
  });

  it("keeps unacked records across a restart without close (crash) and drops acked ones", async () => {
    const dir = tmp();
    const a = await openBox(dir, { segmentBytes: 4096 });
    for (let i = 0; i < 500; i++) a.append(msg(i));
    const recs = a.read(300);
    // Acks out of order: only the contiguous prefix 0..199 releases records.
    for (const r of recs.slice(0, 200).reverse()) a.ack(r.id);
    a.ack(recs[250]!.id);
    await tick();
    expect(a.stats().depth).toBe(300);
    // No close(): the process "dies" here; the files are all a restart has.
    const b = await openBox(dir, { segmentBytes: 4096 });
    expect(b.stats().depth).toBe(300);
    expect(readAll(b).map(numOf)).toEqual([...Array(300).keys()].map((i) => i + 200));
    await b.close();
    // Fully acked segments are deleted.
    expect(readdirSync(dir).filter((f) => f.startsWith("seg-")).length).toBeLessThan(
      Math.ceil((500 * 26) / 4096) + 1,
    );
  });

  it("rewind() replays from the oldest unacked record, in order", async () => {
    const box = await openBox(tmp());
    for (let i = 0; i < 10; i++) box.append(msg(i));
    const first = box.read(5);
    box.ack(first[0]!.id);
    box.ack(first[1]!.id);
    box.ack(first[3]!.id); // not contiguous: record 2 is still unacked
    box.rewind();
    expect(readAll(box).map(numOf)).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
    await box.close();
  });

  it("detects a torn last write (truncated mid-record), skips it and appends after the last good record", async () => {
    const dir = tmp();
    const a = await openBox(dir);
    for (let i = 0; i < 10; i++) a.append(msg(i, 100));
    await a.close();
    const seg = join(dir, readdirSync(dir).find((f) => f.startsWith("seg-"))!);
    const size = statSync(seg).size;
    truncateSync(seg, size - 37); // cuts record 9 in half
    const b = await openBox(dir);
    expect(b.stats().tornBytes).toBe(110 - 37);
    expect(b.stats().depth).toBe(9);
    b.append(msg(100, 100));
    expect(readAll(b).map(numOf)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 100]);
    await b.close();
    const c = await openBox(dir);
    expect(c.stats().tornBytes).toBe(0);
    expect(readAll(c).map(numOf)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 100]);
    await c.close();
  });

  it("detects garbage appended after the last record (bad length or bad CRC)", async () => {
    for (const garbage of [
      Buffer.from([0xff, 0xff, 0xff, 0x7f, 1, 2, 3]), // absurd length
      Buffer.from([20, 0, 0, 0, 1, 2, 3, 4, ...Array(20).fill(7)]), // plausible length, wrong CRC
      Buffer.from([5, 0]), // shorter than a header
    ]) {
      const dir = tmp();
      const a = await openBox(dir);
      for (let i = 0; i < 3; i++) a.append(msg(i));
      await a.close();
      const seg = join(dir, readdirSync(dir).find((f) => f.startsWith("seg-"))!);
      appendFileSync(seg, garbage);
      const b = await openBox(dir);
      expect(b.stats().tornBytes).toBe(garbage.length);
      expect(readAll(b).map(numOf)).toEqual([0, 1, 2]);
      await b.close();
    }
  });

  it("drop-oldest: stays within maxBytes, drops whole oldest segments and counts them", async () => {
    const dropped: number[] = [];
    const box = await openBox(tmp(), {
      maxBytes: 64 * 1024,
      segmentBytes: 16 * 1024,
      onFull: (i) => dropped.push(i.records),
    });
    for (let i = 0; i < 2000; i++) expect(box.append(msg(i, 92)).ok).toBe(true);
    const s = box.stats();
    expect(s.bytes).toBeLessThanOrEqual(64 * 1024);
    expect(s.dropped).toBe(dropped.reduce((a, b) => a + b, 0));
    expect(s.dropped + s.depth).toBe(2000);
    const nums = readAll(box).map(numOf);
    // What is left is the newest records, still in order, with no gap.
    expect(nums[nums.length - 1]).toBe(1999);
    expect(nums).toEqual([...Array(nums.length).keys()].map((i) => i + 2000 - nums.length));
    await box.close();
  });

  it("drop-newest: refuses appends when full and counts them; acking frees space", async () => {
    const box = await openBox(tmp(), { maxBytes: 16 * 1024, segmentBytes: 4096, full: "drop-newest" });
    let ok = 0;
    for (let i = 0; i < 400; i++) if (box.append(msg(i, 92)).ok) ok++;
    expect(ok).toBeLessThan(400);
    expect(box.stats().refused).toBe(400 - ok);
    expect(box.stats().dropped).toBe(0);
    for (const r of readAll(box)) box.ack(r.id);
    expect(box.stats().depth).toBe(0);
    expect(box.append(msg(9999, 92)).ok).toBe(true);
    expect(box.read(10).map(numOf)).toEqual([9999]);
    await box.close();
  });

  it("acks arriving for records dropped by the full policy are ignored", async () => {
    const box = await openBox(tmp(), { maxBytes: 16 * 1024, segmentBytes: 4096 });
    for (let i = 0; i < 10; i++) box.append(msg(i, 92));
    const early = box.read(10);
    for (let i = 10; i < 400; i++) box.append(msg(i, 92));
    for (const r of early) box.ack(r.id);
    const s = box.stats();
    expect(s.dropped + s.depth).toBe(400);
    await box.close();
  });

  it("fsync 'always' and 'interval' store the same records", async () => {
    for (const fsync of ["always", "interval"] as const) {
      const dir = tmp();
      const a = await openBox(dir, { fsync, fsyncIntervalMs: 10 });
      for (let i = 0; i < 20; i++) a.append(msg(i));
      await a.close();
      const b = await openBox(dir);
      expect(readAll(b).map(numOf)).toEqual([...Array(20).keys()]);
      await b.close();
    }
  });
});

describe("SegmentOutbox: records with meta, appended together", () => {
  const meta = (s: string) => new Uint8Array(Buffer.from(s));

  it("appendAll writes in one go, gives increasing ids, and meta stays off the payload", async () => {
    const box = await openBox(tmp());
    const r = box.appendAll([msg(1), { ...msg(2), meta: meta("m2") }, msg(3)]);
    expect(r.every((x) => x.ok)).toBe(true);
    const ids = r.map((x) => (x.ok ? x.id : -1));
    expect(ids[1]).toBeGreaterThan(ids[0]!);
    expect(ids[2]).toBeGreaterThan(ids[1]!);
    const recs = readAll(box);
    expect(recs.map(numOf)).toEqual([1, 2, 3]);
    expect(recs.map((x) => x.payload.length)).toEqual([16, 16, 16]);
    expect(recs.map((x) => (x.meta ? Buffer.from(x.meta).toString() : null))).toEqual([null, "m2", null]);
    expect(box.stats().depth).toBe(3);
    await box.close();
  });

  it("after a restart, lists the meta of the records still unacknowledged, in order", async () => {
    const dir = tmp();
    const a = await openBox(dir, { segmentBytes: 4096 });
    for (let i = 0; i < 300; i++) a.append(i % 50 === 0 ? { ...msg(i), meta: meta(`m${i}`) } : msg(i));
    for (const r of a.read(120)) a.ack(r.id);
    await tick();
    // No close: a crash.
    const b = await openBox(dir, { segmentBytes: 4096 });
    expect(b.recoveredMeta().map((m) => Buffer.from(m).toString())).toEqual(["m150", "m200", "m250"]);
    expect(readAll(b).map(numOf)[0]).toBe(120);
    await b.close();
  });

  it("a torn write loses its record and its meta together", async () => {
    const dir = tmp();
    const a = await openBox(dir);
    a.append({ ...msg(1), meta: meta("kept") });
    a.append({ ...msg(2), meta: meta("torn") });
    const seg = readdirSync(dir).find((f) => f.startsWith("seg-"))!;
    truncateSync(join(dir, seg), statSync(join(dir, seg)).size - 3);
    const b = await openBox(dir);
    expect(b.recoveredMeta().map((m) => Buffer.from(m).toString())).toEqual(["kept"]);
    expect(readAll(b).map(numOf)).toEqual([1]);
    await b.close();
  });

  it("drop-newest refuses all of an appendAll or none, and meta over 64 KiB is refused", async () => {
    const box = await openBox(tmp(), { maxBytes: 200, full: "drop-newest" });
    expect(box.appendAll([msg(1, 60), msg(2, 60), msg(3, 60)]).map((r) => r.ok)).toEqual([false, false, false]);
    expect(box.stats().refused).toBe(3);
    expect(box.appendAll([msg(1, 60), msg(2, 60)]).map((r) => r.ok)).toEqual([true, true]);
    expect(() => box.append({ ...msg(4), meta: new Uint8Array(70_000) })).toThrow(/meta/);
    await box.close();
  });
});
