/**
 * Reliable delivery on the host side, through `ingest` (no port: the acks themselves are
 * checked end to end in simulator/test/edge-agent-kill.test.ts): a readings frame is
 * acknowledged only from `sink.stored`, after its readings were delivered; a retransmit of a
 * seq already taken is dropped; a hello (MCU reboot) forgets the seqs.
 */
import { describe, expect, it } from "vitest";
import { encodeFrame } from "@fieldline/firmware-contracts";
import { serialFramesSchema } from "../../src/inputs/serial-frames/config";
import { SerialFramesSource } from "../../src/inputs/serial-frames/source";
import type { SourceReading, SourceSink } from "../../src/inputs/source";

function readings(seq: number, value: number): Uint8Array {
  return encodeFrame({ type: "readings", seq, body: { readings: [{ sensor: "flow", value }] } });
}

function sink() {
  const got: SourceReading[] = [];
  const pending: (() => void)[] = [];
  const s: SourceSink = {
    readings: (rs) => got.push(...rs),
    stored: (done) => pending.push(done),
    event: () => undefined,
    rejected: () => undefined,
  };
  return { s, got, pending };
}

describe("serial-frames acks and retransmits", () => {
  const cfg = serialFramesSchema.parse({ type: "serial-frames", path: "/dev/null" });

  it("asks to be told when readings are stored, once per chunk with readings frames", () => {
    const src = new SerialFramesSource(cfg, { clock: () => 1000 });
    const k = sink();
    src.ingest(encodeFrame({ type: "event", seq: 0, body: { type: "boot" } }), k.s);
    expect(k.pending).toHaveLength(0);
    src.ingest(Buffer.concat([readings(1, 1), readings(2, 2)]), k.s);
    expect(k.got.map((r) => r.value)).toEqual([1, 2]);
    expect(k.pending).toHaveLength(1);
    for (const done of k.pending) done();
    expect(src.counters.acks).toBe(0); // no port open: nothing to write to
  });

  it("drops a retransmitted seq, keeps the rest, and forgets the seqs at a hello", () => {
    const src = new SerialFramesSource(cfg, { clock: () => 1000 });
    const k = sink();
    src.ingest(Buffer.concat([readings(1, 1), readings(2, 2), readings(1, 1), readings(3, 3), readings(2, 2)]), k.s);
    expect(k.got.map((r) => r.value)).toEqual([1, 2, 3]);
    expect(src.counters.duplicates).toBe(2);
    expect(k.pending).toHaveLength(1); // the retransmits are acked again, after the same store

    src.ingest(encodeFrame({ type: "hello", seq: 0, body: { firmware: "1", sensors: [] } }), k.s);
    src.ingest(readings(1, 10), k.s);
    expect(k.got.map((r) => r.value)).toEqual([1, 2, 3, 10]);
    expect(src.counters.duplicates).toBe(2);
  });

  it("works with a sink that has no stored(): readings are taken as stored at once", () => {
    const src = new SerialFramesSource(cfg, { clock: () => 1000 });
    const got: SourceReading[] = [];
    src.ingest(readings(7, 7), { readings: (rs) => got.push(...rs), event: () => undefined, rejected: () => undefined });
    expect(got).toHaveLength(1);
  });
});
