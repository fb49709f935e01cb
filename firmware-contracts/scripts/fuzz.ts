/**
 * Fuzzes the serial FrameDecoder and decodePayload with random and mutated inputs, and fails
 * (exit 1, printing the seed and the input) on the first exception. Reports inputs per second
 * for the decoder calls alone (generation is not timed).
 *
 *   npx tsx firmware-contracts/scripts/fuzz.ts [--frames 1000000] [--payloads 1000000] [--seed N]
 *
 * Frame inputs mix: valid frames; bit flips, byte overwrites, insertions, deletions,
 * truncations and splices of valid frames; frames with a valid CRC around a mutated or random
 * body (so CBOR and schema checks are reached) and random version/type bytes; random bytes;
 * oversize runs. They are concatenated and pushed in random chunk sizes.
 */
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { TOPIC_KINDS, decodeCbor, decodePayload, encodeCbor, type TopicKind } from "../src";
import {
  FRAME_TYPES,
  FRAME_VERSION,
  FrameDecoder,
  encodeRawFrame,
  type FrameResult,
} from "../src/serial";

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2)
  args.set(process.argv[i]!.replace(/^--/, ""), process.argv[i + 1] ?? "");
const FRAMES = Number(args.get("frames") ?? 1_000_000);
const PAYLOADS = Number(args.get("payloads") ?? 1_000_000);
const SEED = Number(args.get("seed") ?? Date.now() % 2 ** 31);

/** mulberry32: small, fast, seedable. */
let state = SEED >>> 0;
function rand(): number {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const int = (n: number) => Math.floor(rand() * n);
const pick = <T>(a: readonly T[]): T => a[int(a.length)]!;
const randomBytes = (n: number) => {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = int(256);
  return b;
};

// --- corpus: the golden vectors -------------------------------------------------------------
const VECTORS = join(dirname(fileURLToPath(import.meta.url)), "..", "vectors");
const loadDir = (sub: string) =>
  readdirSync(join(VECTORS, sub))
    .filter((f) => f.endsWith(".json"))
    .map((f) => JSON.parse(readFileSync(join(VECTORS, sub, f), "utf8")) as Record<string, string>);
const hexBytes = (h: string) => new Uint8Array(Buffer.from(h, "hex"));
const frameVectors = loadDir("frames");
const validWires = frameVectors.filter((v) => !v.error).map((v) => hexBytes(v.wire!));
const bodies = frameVectors.filter((v) => v.body).map((v) => hexBytes(v.body!));
const typeCodes = Object.values(FRAME_TYPES).map((t) => t.code);
const payloadVectors = loadDir("payloads").map((v) => ({
  kind: v.kind as TopicKind,
  cbor: hexBytes(v.cbor!),
}));
const kinds = Object.keys(TOPIC_KINDS) as TopicKind[];

// --- mutations ------------------------------------------------------------------------------
function mutateBytes(src: Uint8Array, edits = 1 + int(4)): Uint8Array {
  let b = src.slice();
  for (let e = 0; e < edits; e++) {
    const i = int(b.length + 1);
    switch (int(7)) {
      case 0: // bit flip
        if (b.length) b[i % b.length]! ^= 1 << int(8);
        break;
      case 1: // overwrite
        if (b.length) b[i % b.length] = int(256);
        break;
      case 2: // insert
        b = concat(b.subarray(0, i), Uint8Array.of(int(256)), b.subarray(i));
        break;
      case 3: // delete
        b = concat(b.subarray(0, i), b.subarray(i + 1));
        break;
      case 4: // truncate
        b = b.slice(0, i);
        break;
      case 5: {
        // duplicate a short run
        const from = int(b.length + 1);
        b = concat(b.subarray(0, i), b.subarray(from, from + int(16)), b.subarray(i));
        break;
      }
      default: // CBOR and COBS boundary values
        if (b.length) b[i % b.length] = pick(INTERESTING);
    }
  }
  return b;
}
const INTERESTING = [
  0x00, 0x01, 0x7f, 0x80, 0xff, 0xfe, 0x18, 0x19, 0x1a, 0x1b, 0xf9, 0xfa, 0xfb, 0x5f, 0x9f, 0xbf,
  0xc1, 0xd8,
];
const concat = (...parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts));

const WEIRD: unknown[] = [
  null,
  true,
  -1,
  2 ** 53,
  1.5,
  "",
  "x".repeat(300),
  [],
  {},
  Number.NaN,
  -Infinity,
  -(2 ** 63),
  2 ** 64,
  2n ** 70n,
  -(2n ** 64n),
  2n ** 53n + 1n,
  new Date(0),
  Uint8Array.of(1, 2, 3),
  new Map([[1, 2]]),
  "__proto__",
];

/** Structured mutation: decode the CBOR, replace one value at a random path, re-encode. */
function mutateStructure(cbor: Uint8Array): Uint8Array {
  let root: unknown;
  try {
    root = decodeCbor(cbor);
  } catch {
    return randomBytes(int(64));
  }
  if (root === null || typeof root !== "object") return encodeCbor(pick(WEIRD));
  let node = root as Record<string, unknown>;
  for (let depth = 0; depth < 3; depth++) {
    const keys = Object.keys(node);
    if (!keys.length) break;
    const next = node[pick(keys)];
    if (next === null || typeof next !== "object" || int(3) === 0) break;
    node = next as Record<string, unknown>;
  }
  const keys = Object.keys(node);
  const key = keys.length && int(4) !== 0 ? pick(keys) : "extra";
  if (int(5) === 0) delete node[key];
  else node[key] = pick(WEIRD);
  return encodeCbor(root);
}

function fuzzFrame(): Uint8Array {
  switch (int(10)) {
    case 0:
      return pick(validWires);
    case 1:
    case 2:
    case 3:
      return mutateBytes(pick(validWires));
    case 4: {
      // valid CRC around a mutated body: reaches CBOR decoding and the schemas
      return encodeRawFrame(FRAME_VERSION, pick(typeCodes), int(65536), mutateBytes(pick(bodies)));
    }
    case 5:
      return encodeRawFrame(
        FRAME_VERSION,
        pick(typeCodes),
        int(65536),
        mutateStructure(pick(bodies)),
      );
    case 6:
      return encodeRawFrame(
        int(4) === 0 ? int(256) : FRAME_VERSION,
        int(8),
        int(65536),
        randomBytes(int(40)),
      );
    case 7: {
      const a = pick(validWires);
      const b = pick(validWires);
      return Uint8Array.from([...a.subarray(0, int(a.length)), ...b.subarray(int(b.length))]);
    }
    case 8:
      return randomBytes(int(100));
    default:
      return int(50) === 0
        ? new Uint8Array(4200 + int(2000)).fill(1 + int(255))
        : mutateBytes(pick(validWires), 8);
  }
}

function fuzzPayload(): { kind: TopicKind; bytes: Uint8Array } {
  const v = pick(payloadVectors);
  switch (int(5)) {
    case 0:
      return { kind: pick(kinds), bytes: v.cbor };
    case 1:
    case 2:
      return { kind: v.kind, bytes: mutateBytes(v.cbor) };
    case 3:
      return { kind: v.kind, bytes: mutateStructure(v.cbor) };
    default:
      return { kind: pick(kinds), bytes: randomBytes(int(200)) };
  }
}

function fail(what: string, err: unknown, input: Uint8Array): never {
  console.error(`FUZZ FAILURE in ${what} (seed ${SEED}): ${(err as Error).stack ?? String(err)}`);
  console.error(
    `input (${input.length} B): ${Buffer.from(input.subarray(0, 8192)).toString("hex")}`,
  );
  process.exit(1);
}

// --- serial decoder ---------------------------------------------------------------------------
function fuzzSerial() {
  const decoder = new FrameDecoder();
  const outcomes: Record<string, number> = {};
  let fed = 0;
  let bytes = 0;
  let ns = 0n;
  const BATCH = 1000;
  while (fed < FRAMES) {
    const parts: Uint8Array[] = [];
    for (let i = 0; i < BATCH && fed < FRAMES; i++, fed++) {
      parts.push(fuzzFrame());
      // most inputs end in a delimiter; some run into the next one (lost delimiter)
      if (int(20) !== 0) parts.push(Uint8Array.of(0));
    }
    const stream = Buffer.concat(parts);
    bytes += stream.length;
    let at = 0;
    while (at < stream.length) {
      const size = pick([1, 7, 64, 256, 1024, 4096]) * (1 + int(2));
      const chunk = stream.subarray(at, at + size);
      at += size;
      let rs: FrameResult[];
      const t0 = process.hrtime.bigint();
      try {
        rs = decoder.push(chunk);
      } catch (err) {
        fail("FrameDecoder.push", err, chunk);
      }
      ns += process.hrtime.bigint() - t0;
      for (const r of rs) {
        const k = r.ok ? `ok:${r.frame.type}` : r.error.reason;
        outcomes[k] = (outcomes[k] ?? 0) + 1;
      }
    }
  }
  const seconds = Number(ns) / 1e9;
  return {
    inputs: fed,
    bytes,
    seconds,
    perSecond: fed / seconds,
    mbPerSecond: bytes / 1e6 / seconds,
    outcomes,
    counters: decoder.counters,
  };
}

// --- payload decoder --------------------------------------------------------------------------
function fuzzPayloads() {
  const outcomes: Record<string, number> = {};
  let ns = 0n;
  let bytes = 0;
  for (let i = 0; i < PAYLOADS; i++) {
    const { kind, bytes: input } = fuzzPayload();
    bytes += input.length;
    const t0 = process.hrtime.bigint();
    let r: ReturnType<typeof decodePayload>;
    try {
      r = decodePayload(kind, input);
    } catch (err) {
      fail(`decodePayload(${kind})`, err, input);
    }
    ns += process.hrtime.bigint() - t0;
    const k = r.ok ? "ok" : r.error.reason;
    outcomes[k] = (outcomes[k] ?? 0) + 1;
  }
  const seconds = Number(ns) / 1e9;
  return {
    inputs: PAYLOADS,
    bytes,
    seconds,
    perSecond: PAYLOADS / seconds,
    mbPerSecond: bytes / 1e6 / seconds,
    outcomes,
  };
}

const started = Date.now();
const serial = fuzzSerial();
const payload = fuzzPayloads();
// Sanity: the corpus decodes (a fuzz run over a broken decoder that rejects everything proves little).
if (!validWires.every((w) => new FrameDecoder().push(w).every((r) => r.ok))) {
  console.error("golden frame vectors no longer decode");
  process.exit(1);
}

const round = (n: number) => Math.round(n);
console.log(
  JSON.stringify(
    {
      seed: SEED,
      node: process.version,
      wallSeconds: (Date.now() - started) / 1000,
      serial,
      payload,
    },
    null,
    2,
  ),
);
console.log(
  [
    "",
    "decoder         inputs      seconds  inputs/s   MB/s  exceptions",
    `FrameDecoder    ${String(serial.inputs).padEnd(11)} ${serial.seconds.toFixed(2).padEnd(8)} ${String(round(serial.perSecond)).padEnd(9)} ${serial.mbPerSecond.toFixed(1).padEnd(6)} 0`,
    `decodePayload   ${String(payload.inputs).padEnd(11)} ${payload.seconds.toFixed(2).padEnd(8)} ${String(round(payload.perSecond)).padEnd(9)} ${payload.mbPerSecond.toFixed(1).padEnd(6)} 0`,
  ].join("\n"),
);
