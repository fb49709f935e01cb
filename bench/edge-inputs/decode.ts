// Input decoding cost, in process (no port): each of our inputs side by side with the bare
// library or codec it is built on, over the same bytes, fed in 4 KiB chunks as a UART read
// would deliver them.
//   serial-frames: SerialFramesSource.ingest (decode + map to readings)  vs  FrameDecoder.push alone
//   nmea:          NmeaDecoder.push (framing, checksum, parse, map)      vs  nmea-simple parseNmeaSentence per line
// Prints JSON and a table. Usage: npx tsx bench/edge-inputs/decode.ts [--seconds 2]
import { parseArgs } from "node:util";
import { encodeFrame, FrameDecoder } from "../../firmware-contracts/src/index.ts";
import { parseNmeaSentence } from "nmea-simple";
import { SerialFramesSource } from "../../edge-agent/src/inputs/serial-frames/source.ts";
import { serialFramesSchema } from "../../edge-agent/src/inputs/serial-frames/config.ts";
import { NmeaDecoder } from "../../edge-agent/src/inputs/nmea/decoder.ts";
import { withChecksum } from "../../edge-agent/src/inputs/nmea/lines.ts";
import type { SourceSink } from "../../edge-agent/src/inputs/source.ts";

const { values } = parseArgs({ options: { seconds: { type: "string", default: "2" } } });
const SECONDS = Number(values.seconds);

function chunks(buf: Buffer, size = 4096): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < buf.length; i += size) out.push(new Uint8Array(buf.subarray(i, i + size)));
  return out;
}

/** Runs `pass` over the data repeatedly for SECONDS; returns units per second. */
function rate(pass: () => number): number {
  for (let i = 0; i < 3; i++) pass(); // warm up
  let units = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < SECONDS * 1000) units += pass();
  return units / ((performance.now() - t0) / 1000);
}

// --- serial frames: 2000 frames of 8 readings each
const frames: Buffer[] = [];
for (let seq = 0; seq < 2000; seq++) {
  const readings = Array.from({ length: 8 }, (_, k) => ({
    sensor: `s${k}`,
    value: 20 + Math.sin(seq + k),
    t: seq * 100,
  }));
  frames.push(
    Buffer.from(encodeFrame({ type: "readings", seq: seq & 0xffff, body: { readings } })),
  );
}
const frameBytes = Buffer.concat(frames);
const frameChunks = chunks(frameBytes);
const READINGS_PER_PASS = 2000 * 8;

let sunk = 0;
const sink: SourceSink = {
  readings: (rs) => (sunk += rs.length),
  event: () => undefined,
  rejected: () => undefined,
};
const src = new SerialFramesSource(
  serialFramesSchema.parse({ type: "serial-frames", path: "/dev/null", time: "mcu" }),
  {
    clock: Date.now,
  },
);
const oursFrames = rate(() => {
  for (const c of frameChunks) src.ingest(c, sink);
  return READINGS_PER_PASS;
});
const refFrames = rate(() => {
  const d = new FrameDecoder();
  let n = 0;
  for (const c of frameChunks)
    for (const r of d.push(c))
      if (r.ok && r.frame.type === "readings") n += r.frame.body.readings.length;
  return n;
});

// --- NMEA: a 1 Hz receiver's burst (GGA, GSA, RMC, VTG) repeated
const burst = [
  "GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,",
  "GPGSA,A,3,04,05,,09,12,,,24,,,,,2.5,1.3,2.1",
  "GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W",
  "GPVTG,054.7,T,034.4,M,005.5,N,010.2,K",
].map((b) => withChecksum(b) + "\r\n");
const nmeaText = burst.join("").repeat(500);
const nmeaChunks = chunks(Buffer.from(nmeaText, "latin1"));
const SENTENCES_PER_PASS = 2000;
const dec = new NmeaDecoder("gps");
let t = 0;
const oursNmea = rate(() => {
  for (const c of nmeaChunks) dec.push(c, (t += 1000));
  return SENTENCES_PER_PASS;
});
const refNmea = rate(() => {
  let n = 0;
  for (const line of nmeaText.split("\r\n")) if (line) n += parseNmeaSentence(line) ? 1 : 0;
  return n;
});

const mem = process.memoryUsage();
const result = {
  seconds: SECONDS,
  serialFrames: {
    oursReadingsPerSec: Math.round(oursFrames),
    referenceReadingsPerSec: Math.round(refFrames),
    ratio: +(oursFrames / refFrames).toFixed(3),
    readingsCheck: sunk > 0,
  },
  nmea: {
    oursSentencesPerSec: Math.round(oursNmea),
    referenceSentencesPerSec: Math.round(refNmea),
    ratio: +(oursNmea / refNmea).toFixed(3),
  },
  rssMB: +(mem.rss / 2 ** 20).toFixed(1),
};
console.log(JSON.stringify(result));
console.table({
  "serial-frames readings/s": {
    ours: result.serialFrames.oursReadingsPerSec,
    reference: result.serialFrames.referenceReadingsPerSec,
    ratio: result.serialFrames.ratio,
  },
  "nmea sentences/s": {
    ours: result.nmea.oursSentencesPerSec,
    reference: result.nmea.referenceSentencesPerSec,
    ratio: result.nmea.ratio,
  },
});
