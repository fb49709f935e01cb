/**
 * The golden vectors are the contract firmware authors test against. These tests read them
 * from disk and check that (1) they are exactly what scripts/gen-vectors.ts writes, (2) our
 * decoders decode every one to its JSON (or report its error), and (3) our encoders write
 * the same bytes back, so code and vectors cannot drift apart.
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { decodePayload, encodePayload, type TopicKind } from "../src";
import { FrameDecoder, crc32, encodeFrame, type FrameInput, type FrameResult } from "../src/serial";
import { buildVectors } from "../scripts/vectors/build";
import { fromTagged } from "../scripts/vectors/json";

const VECTORS = join(import.meta.dirname, "..", "vectors");
const bytes = (h: string) => new Uint8Array(Buffer.from(h, "hex"));
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

function load(sub: string): [string, Record<string, unknown>][] {
  return readdirSync(join(VECTORS, sub))
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => [
      f,
      JSON.parse(readFileSync(join(VECTORS, sub, f), "utf8")) as Record<string, unknown>,
    ]);
}

const frames = load("frames");
const payloads = load("payloads");

describe("golden vectors on disk", () => {
  it("are exactly what scripts/gen-vectors.ts writes (run `npx tsx firmware-contracts/scripts/gen-vectors.ts`)", () => {
    const built = buildVectors();
    const onDisk = [
      ...frames.map(([f]) => `frames/${f}`),
      ...payloads.map(([f]) => `payloads/${f}`),
    ].sort();
    expect(onDisk).toEqual([...built.keys()].sort());
    for (const [path, text] of built)
      expect(readFileSync(join(VECTORS, path), "utf8"), path).toBe(text);
  });

  it("cover every frame type and every payload kind, valid and invalid", () => {
    const types = new Set(
      frames.map(([, v]) => (v.decoded as { type?: string } | undefined)?.type),
    );
    expect([...types].filter(Boolean).sort()).toEqual([
      "ack",
      "command",
      "event",
      "hello",
      "readings",
    ]);
    const reasons = new Set(frames.map(([, v]) => v.error).filter(Boolean));
    expect([...reasons].sort()).toEqual([
      "cbor",
      "cobs",
      "crc",
      "oversize",
      "schema",
      "type",
      "version",
    ]);
    const kinds = new Set(payloads.filter(([, v]) => !v.error).map(([, v]) => v.kind));
    expect(kinds.size).toBe(9);
  });
});

describe.each(frames)("frame vector %s", (_file, v) => {
  const wire = bytes(v.wire as string);
  const decodeAll = (chunkSize: number): FrameResult[] => {
    const d = new FrameDecoder();
    const out: FrameResult[] = [];
    for (let i = 0; i < wire.length; i += chunkSize)
      out.push(...d.push(wire.subarray(i, i + chunkSize)));
    return out;
  };

  if (typeof v.error === "string") {
    it(`is reported as ${v.error}`, () => {
      for (const size of [1, 7, wire.length]) {
        const rs = decodeAll(size);
        expect(rs).toHaveLength(1);
        expect(!rs[0]!.ok && rs[0]!.error.reason).toBe(v.error);
      }
    });
    return;
  }

  const decoded = fromTagged(v.decoded) as FrameInput & { version: number };
  it("decodes to its JSON, in any chunking", () => {
    for (const size of [1, 3, wire.length]) {
      expect(decodeAll(size)).toEqual([{ ok: true, frame: decoded }]);
    }
  });

  it("has a CRC matching its frame bytes", () => {
    const raw = bytes(v.frame as string);
    expect(
      crc32(raw, 0, raw.length - 4)
        .toString(16)
        .padStart(8, "0"),
    ).toBe(v.crc);
  });

  if (v.canonical === true) {
    it("is what encodeFrame writes", () => {
      const { version: _version, ...input } = decoded;
      expect(hex(encodeFrame(input as FrameInput))).toBe(v.wire);
    });
  }
});

describe.each(payloads)("payload vector %s", (_file, v) => {
  const kind = v.kind as TopicKind;
  const cbor = bytes(v.cbor as string);
  if (typeof v.error === "string") {
    it(`is rejected as ${v.error}`, () => {
      const out = decodePayload(kind, cbor);
      expect(!out.ok && out.error.reason).toBe(v.error);
    });
    return;
  }
  it("decodes to its JSON and re-encodes to the same bytes", () => {
    const out = decodePayload(kind, cbor);
    expect(out).toEqual({ ok: true, value: fromTagged(v.decoded) });
    expect(hex(encodePayload(kind, fromTagged(v.decoded) as never))).toBe(v.cbor);
  });
});
