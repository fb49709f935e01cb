/**
 * The serial path's throughput: the simulator playing MCUs into socat pty pairs (frames
 * built and written as it runs), side by side with a reference that writes the same bytes,
 * pre-built, with plain serialport into the same kind of pty pairs. In both cases one
 * reader per port (serialport + the contracts' FrameDecoder) takes everything in.
 *
 *   npx tsx bench/simulator/serial.ts [--devices 8] [--hours 6]
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { SerialPort } from "serialport";
import { FrameDecoder } from "@fieldline/firmware-contracts";
import { MemorySerialTransport, SerialTransport, parseSpec, simulate } from "@fieldline/simulator";
import { serialTransport } from "../../simulator/src/spec/transports";
import { PtyPair } from "../../simulator/src/transports/socat";

const { values: args } = parseArgs({ options: { devices: { type: "string", default: "8" }, hours: { type: "string", default: "6" } } });
const DEVICES = Number(args.devices);
const HOURS = Number(args.hours);

const spec = () =>
  parseSpec(`
seed: 2
start: 2026-01-01T00:00:00Z
duration: ${HOURS}h
batch: { maxReadings: 32, every: 1m }
profiles:
  mcu:
    sensors:
      a: { unit: Cel, interval: 5s, source: { type: sum, of: [ { type: sine, mean: 20, amplitude: 3 }, { type: noise, sigma: 0.1 } ] } }
      b: { unit: kPa, interval: 10s, source: { type: randomWalk, start: 100, step: 0.2 } }
devices:
  - { profile: mcu, prefix: mcu-, count: ${DEVICES} }
`);

interface Reader {
  port: SerialPort;
  decoder: FrameDecoder;
  readings: number;
}

async function openReader(path: string): Promise<Reader> {
  const port = new SerialPort({ path, baudRate: 115_200, autoOpen: false });
  await new Promise<void>((res, rej) => port.open((e) => (e ? rej(e) : res())));
  const r: Reader = { port, decoder: new FrameDecoder(), readings: 0 };
  port.on("data", (chunk: Buffer) => {
    for (const f of r.decoder.push(chunk)) if (f.ok && f.frame.type === "readings") r.readings += f.frame.body.readings.length;
  });
  return r;
}

const closeReader = (r: Reader) => new Promise<void>((res) => r.port.close(() => res()));
const total = (rs: Reader[]) => rs.reduce((n, r) => n + r.readings, 0);
async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((r) => setTimeout(r, 2));
}

async function ours(expected: number) {
  const readers: Reader[] = [];
  let t0 = 0;
  let wall = 0;
  const transport = new (class extends SerialTransport {
    override async stop(): Promise<void> {
      await until(() => total(readers) >= expected);
      wall = performance.now() - t0;
      await super.stop();
    }
  })(serialTransport.parse({ type: "serial", linger: 0 }));
  await simulate(spec(), {
    transport,
    onReady: async () => {
      for (const l of transport.links()) readers.push(await openReader(l.path));
      await transport.waitForReaders(10_000);
      t0 = performance.now();
    },
  });
  for (const r of readers) await closeReader(r);
  return { wall, bytes: transport.stats().bytes, errors: readers.reduce((n, r) => n + r.decoder.counters.errors, 0) };
}

async function reference(lines: Map<string, Uint8Array[]>, expected: number) {
  const dir = await mkdtemp(join(tmpdir(), "fl-bench-serial-"));
  const pairs: PtyPair[] = [];
  const writers: SerialPort[] = [];
  const readers: Reader[] = [];
  for (const id of lines.keys()) {
    const pair = new PtyPair(join(dir, `${id}.sim`), join(dir, id));
    await pair.start();
    pairs.push(pair);
    const w = new SerialPort({ path: pair.simPath, baudRate: 115_200, autoOpen: false });
    await new Promise<void>((res, rej) => w.open((e) => (e ? rej(e) : res())));
    writers.push(w);
    readers.push(await openReader(pair.agentPath));
  }
  const t0 = performance.now();
  let bytes = 0;
  await Promise.all(
    [...lines.values()].map(async (chunks, i) => {
      const w = writers[i]!;
      for (const c of chunks) {
        bytes += c.length;
        if (!w.write(Buffer.from(c))) await new Promise<void>((res) => w.drain(() => res()));
      }
    }),
  );
  await until(() => total(readers) >= expected);
  const wall = performance.now() - t0;
  for (const r of readers) await closeReader(r);
  for (const w of writers) await new Promise<void>((res) => w.close(() => res()));
  for (const p of pairs) await p.stop(0);
  await rm(dir, { recursive: true, force: true });
  return { wall, bytes, errors: readers.reduce((n, r) => n + r.decoder.counters.errors, 0) };
}

const mem = new MemorySerialTransport();
const s = await simulate(spec(), { transport: mem });
const expected = s.readingsSent;
const memBytes = [...mem.lines.values()].flat().reduce((n, c) => n + c.length, 0);
const a = await ours(expected);
const b = await reference(mem.lines, expected);
const row = (name: string, r: { wall: number; bytes: number; errors: number }) => ({
  case: name,
  wallMs: Math.round(r.wall),
  readingsPerSec: Math.round((expected / r.wall) * 1000),
  kBPerSec: Math.round(r.bytes / r.wall),
  frameErrors: r.errors,
});
const results = [row("engine + frames, in memory", { wall: s.wallMs, bytes: memBytes, errors: 0 }), row("simulator (serial transport)", a), row("plain serialport, same bytes", b)];
const report = { bench: "simulator-serial", date: new Date().toISOString(), devices: DEVICES, eventHours: HOURS, readings: expected, results, ratio: +(results[1]!.readingsPerSec / results[2]!.readingsPerSec).toFixed(3) };
console.log("case                            wall ms  readings/s   kB/s  frame errors");
for (const r of results) console.log(`${r.case.padEnd(31)} ${String(r.wallMs).padStart(7)} ${String(r.readingsPerSec).padStart(11)} ${String(r.kBPerSec).padStart(6)} ${String(r.frameErrors).padStart(13)}`);
console.log(`simulator / plain serialport: ${report.ratio}x readings/s`);
console.log(JSON.stringify(report));
const out = resolve(import.meta.dirname, "../results");
mkdirSync(out, { recursive: true });
writeFileSync(join(out, "simulator-serial.json"), JSON.stringify(report, null, 2) + "\n");
