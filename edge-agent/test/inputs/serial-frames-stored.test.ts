/**
 * The on-disk window of stored readings seqs (StoredSeqs) and what the serial-frames input
 * does with it across a restart: a retransmit of a frame stored by the previous process for
 * the same MCU boot is dropped and acked again; another boot id (or none) starts afresh.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { encodeFrame } from "@fieldline/firmware-contracts";
import { serialFramesSchema } from "../../src/inputs/serial-frames/config";
import { SerialFramesSource } from "../../src/inputs/serial-frames/source";
import { StoredSeqs } from "../../src/inputs/serial-frames/stored-seqs";
import type { SourceReading, SourceSink, StoredMark } from "../../src/inputs/source";

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "fl-stored-seqs-"));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("StoredSeqs", () => {
  it("keeps the newest seqs of one boot on disk, and a new instance reads them back", () => {
    const file = join(tempDir(), "in.seqs.json");
    const a = new StoredSeqs(file, 4);
    expect(a.load()).toBeUndefined();
    a.add(7, [1, 2, 3]);
    a.add(7, [4, 5]);
    expect(a.seqsOf(7)).toEqual([2, 3, 4, 5]);
    expect(a.seqsOf(8)).toEqual([]);
    expect(a.seqsOf(undefined)).toEqual([]);
    expect(new StoredSeqs(file, 4).load()).toEqual({ boot: 7, seqs: [2, 3, 4, 5] });
  });

  it("another boot replaces the seqs; a retransmit acked again rewrites nothing", () => {
    const file = join(tempDir(), "in.seqs.json");
    const a = new StoredSeqs(file);
    a.add("b1", [10, 11]);
    a.add("b2", [2]);
    expect(new StoredSeqs(file).load()).toEqual({ boot: "b2", seqs: [2] });
    writeFileSync(file, "changed behind its back");
    a.add("b2", [2]);
    expect(readFileSync(file, "utf8")).toBe("changed behind its back");
  });

  it("reads a missing, torn or invalid file as nothing stored", () => {
    const dir = tempDir();
    const file = join(dir, "in.seqs.json");
    writeFileSync(file, '{"boot": 1, "seqs": [1, 2');
    expect(new StoredSeqs(file).load()).toBeUndefined();
    writeFileSync(file, JSON.stringify({ boot: -1, seqs: [1] }));
    expect(new StoredSeqs(file).load()).toBeUndefined();
    writeFileSync(file, JSON.stringify({ boot: 3, seqs: [1, -2, 70000, 1.5, 9] }));
    expect(new StoredSeqs(file).load()).toEqual({ boot: 3, seqs: [1, 9] });
    expect(new StoredSeqs(join(dir, "absent.json")).load()).toBeUndefined();
  });
});

function hello(boot?: number): Uint8Array {
  return encodeFrame({ type: "hello", seq: 0, body: { firmware: "1", sensors: [], ...(boot !== undefined ? { boot } : {}) } });
}
function readings(seq: number, value: number): Uint8Array {
  return encodeFrame({ type: "readings", seq, body: { readings: [{ sensor: "flow", value }] } });
}
function sink() {
  const got: SourceReading[] = [];
  const s: SourceSink = {
    readings: (rs) => got.push(...rs),
    stored: (done) => done(),
    event: () => undefined,
    rejected: () => undefined,
  };
  return { s, got };
}

describe("serial-frames across an agent restart", () => {
  const cfg = serialFramesSchema.parse({ type: "serial-frames", path: "/dev/ttyX" });

  it("drops a retransmit of a frame the previous process stored, for the same MCU boot", () => {
    const stateDir = tempDir();
    const stored: number[][] = [];
    const first = new SerialFramesSource(cfg, { clock: () => 1000, stateDir, afterStore: (_i, seqs) => stored.push([...seqs]) });
    const k1 = sink();
    first.ingest(Buffer.concat([hello(42), readings(2, 1), readings(3, 2)]), k1.s);
    expect(k1.got.map((r) => r.value)).toEqual([1, 2]);
    expect(stored).toEqual([[2, 3]]); // this hook: in the outbox, before the state file and the ack

    // A new process on the same data dir: the MCU re-sends 3 (its ack never left), then 4.
    const second = new SerialFramesSource(cfg, { clock: () => 1000, stateDir });
    const k2 = sink();
    second.ingest(Buffer.concat([readings(3, 2), readings(4, 3)]), k2.s);
    expect(k2.got.map((r) => r.value)).toEqual([3]);
    expect(second.counters.duplicates).toBe(1);

    // The same boot id in a later hello keeps the memory; a new boot id forgets it.
    second.ingest(Buffer.concat([hello(42), readings(4, 3)]), k2.s);
    expect(second.counters.duplicates).toBe(2);
    second.ingest(Buffer.concat([hello(43), readings(3, 9)]), k2.s);
    expect(k2.got.map((r) => r.value)).toEqual([3, 9]);
  });

  it("remembers nothing on disk for an MCU without a boot id", () => {
    const stateDir = tempDir();
    const first = new SerialFramesSource(cfg, { clock: () => 1000, stateDir });
    first.ingest(Buffer.concat([hello(), readings(2, 1)]), sink().s);
    const second = new SerialFramesSource(cfg, { clock: () => 1000, stateDir });
    const k = sink();
    second.ingest(readings(2, 1), k.s);
    expect(k.got).toHaveLength(1);
    expect(second.counters.duplicates).toBe(0);
  });

  it("a hello without a boot id after a saved one forgets the saved seqs", () => {
    const stateDir = tempDir();
    new SerialFramesSource(cfg, { clock: () => 1000, stateDir }).ingest(Buffer.concat([hello(5), readings(2, 1)]), sink().s);
    const second = new SerialFramesSource(cfg, { clock: () => 1000, stateDir });
    const k = sink();
    second.ingest(Buffer.concat([hello(), readings(2, 1)]), k.s);
    expect(k.got).toHaveLength(1);
  });

  it("killed between the outbox append and the state file: the marks kept in the outbox make the retransmit a duplicate", () => {
    const stateDir = tempDir();
    const marks: StoredMark[] = [];
    const first = new SerialFramesSource(cfg, { clock: () => 1000, stateDir });
    // Readings handed over with their marks; `stored` never calls back: the process died
    // after the append, so no state file and no ack.
    first.ingest(Buffer.concat([hello(42), readings(2, 1), readings(3, 2)]), {
      readings: (_rs, m) => marks.push(...(m ?? [])),
      stored: () => undefined,
      event: () => undefined,
      rejected: () => undefined,
    });
    expect(marks).toEqual([{ input: first.id, boot: 42, seqs: [2, 3] }]);
    expect(new StoredSeqs(join(stateDir, `${first.id.replace(/[^A-Za-z0-9._-]/g, "_")}.seqs.json`)).load()).toBeUndefined();

    // Older marks of another boot and another input's marks are in the outbox too.
    const recovered: StoredMark[] = [{ input: first.id, boot: 41, seqs: [7] }, { input: "other", boot: 42, seqs: [9] }, ...marks];
    const second = new SerialFramesSource(cfg, { clock: () => 1000, stateDir, recoveredMarks: recovered });
    const k = sink();
    second.ingest(Buffer.concat([readings(2, 1), readings(3, 2), readings(9, 5), readings(4, 3)]), k.s);
    expect(k.got.map((r) => r.value)).toEqual([5, 3]);
    expect(second.counters.duplicates).toBe(2);
    // And they are in the state file now, for when those records have left the outbox.
    const third = new SerialFramesSource(cfg, { clock: () => 1000, stateDir });
    const k3 = sink();
    third.ingest(readings(3, 2), k3.s);
    expect(third.counters.duplicates).toBe(1);
  });
});
