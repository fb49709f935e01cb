/**
 * Serial and payload decoding throughput, ours beside a reference for each stage:
 *   crc32        ours (TypeScript table)         vs node:zlib crc32 (native C)
 *   split        FrameDecoder framing stage      vs @serialport/parser-delimiter (split on 0x00)
 *   frames       FrameDecoder, full (COBS, CRC, CBOR, zod) vs delimiter + COBS + zlib CRC + cbor-x, no schema
 *   payload      decodePayload (CBOR + zod)      vs cbor-x decode alone
 *
 *   npx tsx firmware-contracts/bench/serial.ts [--seconds 1]
 *
 * Prints JSON, then a table. Numbers on a shared 2-core machine are noisy; compare ratios.
 */
import { DelimiterParser } from "@serialport/parser-delimiter";
import { decode as cborxDecode } from "cbor-x";
import { crc32 as zlibCrc32 } from "node:zlib";
import { decodePayload, encodePayload, type Telemetry } from "../src";
import { FrameDecoder, cobsDecode, crc32, encodeFrame } from "../src/serial";

const at = process.argv.indexOf("--seconds");
const SECONDS = at > 0 ? Number(process.argv[at + 1]) : 1;

function measure(fn: () => number): { opsPerSecond: number; units: number } {
  for (let i = 0; i < 50; i++) fn(); // warm up
  let units = 0;
  let rounds = 0;
  const t0 = process.hrtime.bigint();
  const limit = BigInt(Math.round(SECONDS * 1e9));
  let elapsed = 0n;
  while (elapsed < limit) {
    units += fn();
    rounds++;
    elapsed = process.hrtime.bigint() - t0;
  }
  return { opsPerSecond: units / (Number(elapsed) / 1e9), units: rounds };
}

// A typical readings frame: 4 sensors with MCU time (169 bytes on the wire).
const frame = encodeFrame({
  type: "readings",
  seq: 1,
  body: {
    readings: [
      { sensor: "temp", value: 21.5, t: 123_456, q: 0 },
      { sensor: "pressure", value: 101.325, t: 123_456 },
      { sensor: "flow", value: 12.75, t: 123_456 },
      { sensor: "vib-x", value: 0.0031, t: 123_456 },
    ],
  },
});
const N = 1000;
const stream = Buffer.concat(Array.from({ length: N }, () => frame));
const raw = cobsDecode(frame.subarray(0, -1))!;
const big = new Uint8Array(4096).map((_, i) => (i * 31) & 0xff);

const batch: Telemetry = {
  v: 1,
  device: "pump-7",
  boot: "9f2c4e1a7b3d5e60",
  seq: 1,
  readings: Array.from({ length: 8 }, (_, i) => ({
    sensor: `s${i}`,
    t: 1_700_000_000_000 + i,
    value: i * 1.5,
  })),
};
const payload = encodePayload("telemetry", batch);

function splitWithDelimiterParser(): number {
  let n = 0;
  const p = new DelimiterParser({ delimiter: [0] });
  p.on("data", () => n++);
  for (let i = 0; i < stream.length; i += 256) p.write(stream.subarray(i, i + 256));
  return n;
}

function referenceFrames(): number {
  let n = 0;
  const p = new DelimiterParser({ delimiter: [0] });
  p.on("data", (b: Buffer) => {
    const r = cobsDecode(b)!;
    const want = Buffer.from(r.buffer, r.byteOffset, r.byteLength).readUInt32BE(r.length - 4);
    if (zlibCrc32(r.subarray(0, r.length - 4)) !== want) throw new Error("crc");
    cborxDecode(r.subarray(4, r.length - 4));
    n++;
  });
  for (let i = 0; i < stream.length; i += 256) p.write(stream.subarray(i, i + 256));
  return n;
}

function oursFrames(): number {
  const d = new FrameDecoder();
  let n = 0;
  for (let i = 0; i < stream.length; i += 256) n += d.push(stream.subarray(i, i + 256)).length;
  return n;
}

/** FrameDecoder's framing alone: frames that fail CRC stop before CBOR and schema. */
const corrupt = Buffer.concat(
  Array.from({ length: N }, () => {
    const f = Buffer.from(frame);
    f[f.length - 2] = f[f.length - 2]! ^ 0x01 || 0x02;
    return f;
  }),
);
function oursSplitOnly(): number {
  const d = new FrameDecoder();
  let n = 0;
  for (let i = 0; i < corrupt.length; i += 256) n += d.push(corrupt.subarray(i, i + 256)).length;
  return n;
}

const rows = [
  {
    stage: `crc32, ${raw.length} B frame`,
    unit: "MB/s",
    ours: measure(() => (crc32(raw), raw.length)).opsPerSecond / 1e6,
    reference: measure(() => (zlibCrc32(raw), raw.length)).opsPerSecond / 1e6,
    referenceName: "zlib.crc32",
  },
  {
    stage: "crc32, 4 KiB",
    unit: "MB/s",
    ours: measure(() => (crc32(big), big.length)).opsPerSecond / 1e6,
    reference: measure(() => (zlibCrc32(big), big.length)).opsPerSecond / 1e6,
    referenceName: "zlib.crc32",
  },
  {
    stage: "split (+COBS+CRC, rejected)",
    unit: "frames/s",
    ours: measure(oursSplitOnly).opsPerSecond,
    reference: measure(splitWithDelimiterParser).opsPerSecond,
    referenceName: "parser-delimiter (split only)",
  },
  {
    stage: "frames, full decode",
    unit: "frames/s",
    ours: measure(oursFrames).opsPerSecond,
    reference: measure(referenceFrames).opsPerSecond,
    referenceName: "delimiter+COBS+zlib+cbor-x, no schema",
  },
  {
    stage: "telemetry payload, 8 readings",
    unit: "payloads/s",
    ours: measure(() => (decodePayload("telemetry", payload), 1)).opsPerSecond,
    reference: measure(() => (cborxDecode(payload), 1)).opsPerSecond,
    referenceName: "cbor-x decode, no schema",
  },
];

const memory = process.memoryUsage();
console.log(
  JSON.stringify(
    {
      node: process.version,
      frameBytes: frame.length,
      payloadBytes: payload.length,
      rows,
      rssMB: memory.rss / 2 ** 20,
    },
    null,
    2,
  ),
);
const fmt = (n: number) => (n >= 100 ? Math.round(n).toLocaleString("en-US") : n.toFixed(1));
console.log(
  `\n${"stage".padEnd(32)}${"unit".padEnd(12)}${"ours".padStart(12)}${"reference".padStart(12)}  ratio  reference`,
);
for (const r of rows) {
  console.log(
    `${r.stage.padEnd(32)}${r.unit.padEnd(12)}${fmt(r.ours).padStart(12)}${fmt(r.reference).padStart(12)}  ${(r.ours / r.reference).toFixed(2).padStart(5)}  ${r.referenceName}`,
  );
}
