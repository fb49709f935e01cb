// Frame arrival to GPIO write: firmware frames over a socat pty pair into the agent's real
// serial-frames input; a threshold rule drives a line on the sim GPIO chip. Each frame
// alternately crosses the threshold up and down, so every frame causes one GPIO write.
// Measured per frame:
//   arrival -> write: the serial-frames input's arrival timestamp (data event) to OutputLine.set
//   pty write -> write: the bench writing the frame on the MCU side to OutputLine.set
// Reference: pty write -> data event with nothing behind it (the floor a pty adds).
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { pino } from "pino";
import { SerialPort } from "serialport";
import { encodeFrame } from "../../firmware-contracts/src/index.ts";
import { Agent } from "../../edge-agent/src/agent/agent.ts";
import { parseConfig } from "../../edge-agent/src/config/load.ts";
import type { GpioChip } from "../../edge-agent/src/gpio/chip.ts";
import { gpioRegistry } from "../../edge-agent/src/gpio/registry.ts";
import { percentiles } from "./stats.ts";

const { values } = parseArgs({ options: { frames: { type: "string", default: "2000" }, "full-disk": { type: "boolean", default: false } } });
const N = Number(values.frames);
/** The agent's data dir on a full 256 KiB tmpfs (root only): every write there fails with ENOSPC. */
const FULL_DISK = values["full-disk"]!;


const dir = mkdtempSync(join(tmpdir(), "fl-bench-lat-"));
const dev = join(dir, "tty-dev");
const peerPath = join(dir, "tty-peer");
const socat = spawn("socat", [`pty,raw,echo=0,link=${dev}`, `pty,raw,echo=0,link=${peerPath}`], { stdio: "ignore" });
while (!existsSync(dev) || !existsSync(peerPath)) await new Promise((r) => setTimeout(r, 10));

const open = (path: string) =>
  new Promise<SerialPort>((resolve, reject) => {
    const p = new SerialPort({ path, baudRate: 115200, autoOpen: false });
    p.open((e) => (e ? reject(e) : resolve(p)));
  });

// Reference: raw pty transit, one frame at a time.
async function reference(): Promise<number[]> {
  const a = await open(peerPath);
  const b = await open(dev);
  const out: number[] = [];
  const bytes = Buffer.from(encodeFrame({ type: "readings", seq: 1, body: { readings: [{ sensor: "pressure", value: 12 }] } }));
  for (let i = 0; i < N; i++) {
    const t0 = performance.now();
    await new Promise<void>((resolve) => {
      b.once("data", () => resolve());
      a.write(bytes);
    });
    out.push(performance.now() - t0);
  }
  await new Promise((r) => a.close(r));
  await new Promise((r) => b.close(r));
  return out;
}

/** Mounts a small tmpfs on `path` and fills it, so nothing more can be written there. */
function fullDisk(path: string): void {
  mkdirSync(path, { recursive: true });
  execFileSync("mount", ["-t", "tmpfs", "-o", "size=256k", "tmpfs", path]);
  try {
    for (let i = 0; ; i++) writeFileSync(join(path, `fill-${i}`), Buffer.alloc(64 * 1024));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOSPC") throw err;
  }
}

async function agentRun(): Promise<{ arrival: number[]; write: number[] }> {
  if (FULL_DISK) fullDisk(join(dir, "data"));
  writeFileSync(
    join(dir, "rules.yaml"),
    `rules:\n  - id: overpressure\n    severity: critical\n    when: { threshold: { sensor: pressure, above: 8 } }\n    actions: [ { gpio: { line: VALVE, value: 0, latch: false } } ]\n`,
  );
  const cfg = parseConfig(`
device: { site: bench, id: lat1 }
broker: { url: "mqtt://127.0.0.1:1", reconnect: { initialMs: 60000, maxMs: 60000 } }
inputs: [ { type: serial-frames, path: "${dev}" } ]
gpio: { chip: { type: sim, socket: "${join(dir, "gpio.sock")}" }, outputs: { VALVE: { line: 4, initial: 1 } } }
rules: { file: "${join(dir, "rules.yaml")}" }
dataDir: "${join(dir, "data")}"
http: { listen: null }
`);
  let arrivalAt = 0;
  // Strictly increasing event time: two frames in one millisecond are still two readings
  // (the evaluator ignores a second reading of a sensor at the same time).
  let lastT = 0;
  let writeAt = 0;
  let arrivalOfWrite = 0;
  let onWrite: (() => void) | undefined;
  // The sim chip, with each line's set() timed (the chip itself is unchanged).
  const real = gpioRegistry.sim!.create(cfg.gpio!.chip);
  const chip: GpioChip = {
    input: (l, e, cb) => real.input(l, e, cb),
    close: () => real.close(),
    output: async (line, initial) => {
      const o = await real.output(line, initial);
      return {
        get: () => o.get(),
        release: () => o.release(),
        set: (v) => {
          o.set(v);
          writeAt = performance.now();
          // Later clock() calls (the transition's event) must not move the arrival mark.
          arrivalOfWrite = arrivalAt;
          onWrite?.();
        },
      };
    },
  };
  const agent = new Agent(cfg, {
    logger: pino({ level: "silent" }),
    gpio: chip,
    clock: () => {
      arrivalAt = performance.now();
      lastT = Math.max(Date.now(), lastT + 1);
      return lastT;
    },
  });
  await agent.start();
  const peer = await open(peerPath);
  // The agent acks each stored frame over the port: read them as the MCU's UART would (a pty
  // nobody reads fills up, blocks the agent's writes and stalls the run).
  peer.on("data", () => undefined);
  await new Promise((r) => setTimeout(r, 300));
  const arrival: number[] = [];
  const write: number[] = [];
  for (let i = 0; i < N + 100; i++) {
    const value = i % 2 === 0 ? 12 : 2;
    const bytes = Buffer.from(encodeFrame({ type: "readings", seq: i & 0xffff, body: { readings: [{ sensor: "pressure", value }] } }));
    const t0 = performance.now();
    await new Promise<void>((resolve) => {
      onWrite = resolve;
      peer.write(bytes);
    });
    // The first writes warm up the JIT; not counted.
    if (i >= 100) {
      arrival.push(writeAt - arrivalOfWrite);
      write.push(writeAt - t0);
    }
  }
  onWrite = undefined;
  await new Promise((r) => peer.close(r));
  await agent.stop(0);
  return { arrival, write };
}

const ref = await reference();
let run: Awaited<ReturnType<typeof agentRun>>;
try {
  run = await agentRun();
} finally {
  if (FULL_DISK) execFileSync("umount", [join(dir, "data")]);
}
socat.kill();
rmSync(dir, { recursive: true, force: true });
process.stdout.write(
  `${JSON.stringify({
    frames: N,
    outbox: FULL_DISK ? "data dir on a full disk (ENOSPC: the outbox falls back to memory)" : "on disk",
    arrivalToGpioMs: percentiles(run.arrival),
    ptyWriteToGpioMs: percentiles(run.write),
    referencePtyTransitMs: percentiles(ref),
  })}\n`,
);
process.exit(0);
