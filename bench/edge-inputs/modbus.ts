// Modbus RTU bus throughput over a socat pty pair against the ModbusRtuSlave fixture:
//   ours:      ModbusRtuSource (plan + one BusScheduler + RtuMaster + decoding) polling as fast
//              as the schedule allows (every point due every 10 ms, t3.5 gap enforced)
//   reference: bare request/answer ping-pong on the same pty with serialport, same t3.5 gap,
//              no scheduler, no decoding (the floor the pty, the slave and the gap impose)
// Both report transactions/s and per-transaction latency percentiles.
// Usage: npx tsx bench/edge-inputs/modbus.ts [--seconds 3] [--baud 115200]
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { SerialPort } from "serialport";
import { ModbusRtuSlave } from "../../edge-agent/src/inputs/modbus/slave.ts";
import { ModbusRtuSource } from "../../edge-agent/src/inputs/modbus/source.ts";
import { modbusRtuSchema } from "../../edge-agent/src/inputs/modbus/config.ts";
import { encodeReadRequest, ResponseAssembler } from "../../edge-agent/src/inputs/modbus/pdu.ts";
import { interFrameMs, sleepAtLeast } from "../../edge-agent/src/inputs/modbus/timing.ts";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "3" },
    baud: { type: "string", default: "115200" },
  },
});
const SECONDS = Number(values.seconds);
const BAUD = Number(values.baud);
const GAP = interFrameMs(BAUD);

function pct(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => +(s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? NaN).toFixed(3);
  return { p50: q(0.5), p99: q(0.99), max: q(1), n: s.length };
}

const dir = mkdtempSync(join(tmpdir(), "fl-bench-modbus-"));
const dev = join(dir, "dev");
const peer = join(dir, "peer");
const socat = spawn("socat", [`pty,raw,echo=0,link=${dev}`, `pty,raw,echo=0,link=${peer}`], {
  stdio: "ignore",
});
while (!existsSync(dev) || !existsSync(peer)) await new Promise((r) => setTimeout(r, 10));

const slave = new ModbusRtuSlave({ path: peer, baudRate: BAUD, units: [1] });
for (let a = 0; a < 16; a++) slave.setValue(1, "holding", a, a * 10, "u16");
await slave.start();

// Reference: ping-pong of "read 4 holding registers".
async function reference(): Promise<{ tps: number; latency: ReturnType<typeof pct> }> {
  const port = new SerialPort({ path: dev, baudRate: BAUD, parity: "even", autoOpen: false });
  await new Promise<void>((res, rej) => port.open((e) => (e ? rej(e) : res())));
  const req = { unit: 1, fc: 3 as const, address: 0, count: 4 };
  const frame = Buffer.from(encodeReadRequest(req));
  const lat: number[] = [];
  const t0 = performance.now();
  while (performance.now() - t0 < SECONDS * 1000) {
    const asm = new ResponseAssembler(req);
    const s = performance.now();
    await new Promise<void>((resolve) => {
      const on = (c: Buffer) => {
        if (asm.push(c)) {
          port.off("data", on);
          resolve();
        }
      };
      port.on("data", on);
      port.write(frame);
    });
    await sleepAtLeast(GAP);
    lat.push(performance.now() - s); // answer + gap, comparable to ours' request interval
  }
  const tps = lat.length / ((performance.now() - t0) / 1000);
  await new Promise((r) => port.close(r));
  return { tps, latency: pct(lat) };
}

// Ours: eight points in eight separate requests (maxRegisters 1), each due every 10 ms:
// 800 requests/s wanted, more than the bus carries, so the bus is the limit.
async function ours(): Promise<{
  tps: number;
  readingsPerSec: number;
  latency: ReturnType<typeof pct>;
}> {
  const before = slave.log.length;
  const src = new ModbusRtuSource(
    modbusRtuSchema.parse({
      type: "modbus-rtu",
      path: dev,
      baudRate: BAUD,
      maxRegisters: 1,
      points: [0, 1, 2, 3, 4, 5, 6, 7].map((a) => ({
        sensor: `r${a}`,
        unit: 1,
        table: "holding",
        address: a,
        everyMs: 10,
      })),
    }),
    { clock: Date.now },
  );
  let readings = 0;
  await src.start({
    readings: (rs) => (readings += rs.length),
    event: () => undefined,
    rejected: () => undefined,
  });
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  const secs = (performance.now() - t0) / 1000;
  await src.stop();
  const log = slave.log.slice(before);
  // Per transaction: from one request reaching the slave to the next (answer + gap + scheduling).
  const lat = log.slice(1).map((e, i) => e.receivedAt - log[i]!.receivedAt);
  return { tps: log.length / secs, readingsPerSec: readings / secs, latency: pct(lat) };
}

const ref = await reference();
const o = await ours();
await slave.stop();
socat.kill();
rmSync(dir, { recursive: true, force: true });

const result = {
  baud: BAUD,
  gapMs: +GAP.toFixed(3),
  seconds: SECONDS,
  reference: { transactionsPerSec: Math.round(ref.tps), latencyMs: ref.latency },
  ours: {
    transactionsPerSec: Math.round(o.tps),
    readingsPerSec: Math.round(o.readingsPerSec),
    requestIntervalMs: o.latency,
  },
  ratio: +(o.tps / ref.tps).toFixed(3),
  rssMB: +(process.memoryUsage().rss / 2 ** 20).toFixed(1),
};
console.log(JSON.stringify(result));
console.table({
  reference: {
    "transactions/s": result.reference.transactionsPerSec,
    "p50 ms": ref.latency.p50,
    "p99 ms": ref.latency.p99,
  },
  ours: {
    "transactions/s": result.ours.transactionsPerSec,
    "p50 ms": o.latency.p50,
    "p99 ms": o.latency.p99,
  },
});
console.log(`ours/reference: ${result.ratio}`);
