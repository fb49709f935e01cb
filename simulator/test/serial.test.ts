import { describe, expect, it } from "vitest";
import { SerialPort } from "serialport";
import { FrameDecoder, type Frame } from "@fieldline/firmware-contracts";
import { SerialTransport } from "../src/transports/serial";
import { serialTransport } from "../src/spec/transports";
import { MemoryTruth } from "../src/truth/writer";
import { parseSpec } from "../src/spec/load";
import { simulate } from "../src/simulate";
import { waitFor } from "../src/transports/limit";
import type { ReadingRecord } from "../src/truth/records";

const spec = `
seed: 3
start: 2026-04-01T00:00:00Z
duration: 2h
batch: { maxReadings: 50 }
profiles:
  mcu:
    firmware: fw-2.1.0
    sensors:
      temp: { unit: Cel, kind: temperature, interval: 1m, source: { type: sum, of: [ { type: sine, mean: 21, amplitude: 3 }, { type: noise, sigma: 0.2 } ] } }
      flow: { unit: L/min, interval: 20s, source: { type: randomWalk, start: 12, step: 0.3, min: 0 } }
devices:
  - { profile: mcu, prefix: mcu-, count: 2, site: lab }
injections:
  - { type: garbage, at: 30m, devices: mcu-0001, bytes: 200 }
  - { type: crcError, at: 45m, devices: mcu-0001, count: 3 }
  - { type: reboot, at: 1h, devices: mcu-0002, downtime: 5m }
`;

interface Received {
  frames: Frame[];
  decoder: FrameDecoder;
  port: SerialPort;
}

async function openAgentEnd(path: string): Promise<Received> {
  const port = new SerialPort({ path, baudRate: 115_200, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
  const r: Received = { frames: [], decoder: new FrameDecoder(), port };
  port.on("data", (chunk: Buffer) => {
    for (const res of r.decoder.push(chunk)) if (res.ok) r.frames.push(res.frame);
  });
  return r;
}

describe("serial transport through real socat pty pairs", () => {
  it("frames written by the simulator arrive intact through the real serialport binding; faults show as counted frame errors", async () => {
    const truth = new MemoryTruth();
    const ends = new Map<string, Received>();
    const readingsIn = () => [...ends.values()].reduce((n, e) => n + e.frames.reduce((k, f) => k + (f.type === "readings" ? f.body.readings.length : 0), 0), 0);
    // The harness knows its reader: it lets it take everything before the pty pairs go away.
    const transport = new (class extends SerialTransport {
      override async stop(): Promise<void> {
        await waitFor(() => readingsIn() >= this.stats().readingsSent, 20_000);
        await super.stop();
      }
    })(serialTransport.parse({ type: "serial", linger: 0 }));
    const summary = await simulate(parseSpec(spec), {
      transport,
      truth,
      onReady: async () => {
        for (const link of transport.links()) ends.set(link.device, await openAgentEnd(link.path));
        expect(await transport.waitForReaders(5000)).toEqual([]);
      },
      onFault: async () => {
        // Keep the line quiet around a fault so it shows up as its own frames.
        await new Promise((r) => setTimeout(r, 20));
      },
    });
    const expected = truth.records.filter((r): r is ReadingRecord => r.type === "reading");
    try {
      expect(summary.readingsSent).toBe(expected.length);
      for (const [device, end] of ends) {
        const boots = truth.records.filter((r) => r.type === "boot" && r.device === device).map((r) => (r.type === "boot" ? r.t : 0));
        const hellos = end.frames.filter((f) => f.type === "hello");
        expect(hellos).toHaveLength(boots.length);
        expect(hellos[0]!.body).toEqual({ firmware: "fw-2.1.0", sensors: [{ id: "temp", unit: "Cel", kind: "temperature" }, { id: "flow", unit: "L/min" }], boot: expect.any(Number) });
        // A new boot id at every boot.
        const bootIds = hellos.map((h) => (h.type === "hello" ? h.body.boot : undefined));
        expect(new Set(bootIds).size).toBe(boots.length);
        // Rebuild event time from the MCU's ms-since-boot, as an edge agent would.
        let bootIndex = -1;
        const got: string[] = [];
        for (const f of end.frames) {
          if (f.type === "hello") bootIndex++;
          if (f.type !== "readings") continue;
          for (const r of f.body.readings) got.push(`${r.sensor}|${boots[bootIndex]! + r.t!}|${r.value}`);
        }
        const want = expected.filter((r) => r.device === device).map((r) => `${r.sensor}|${r.t}|${r.value}`);
        expect(got).toEqual(want);
      }
      const bad = ends.get("mcu-0001")!.decoder.counters;
      expect(bad.crc).toBeGreaterThanOrEqual(3);
      expect(bad.errors).toBeGreaterThanOrEqual(4);
      expect(ends.get("mcu-0002")!.decoder.counters.errors).toBe(0);
    } finally {
      for (const e of ends.values()) await new Promise<void>((r) => e.port.close(() => r()));
    }
  }, 60_000);
});

describe("serial transport without a reader", () => {
  it("fails the run with the port's path instead of hanging, and cleans up", async () => {
    const transport = new SerialTransport(serialTransport.parse({ type: "serial", stallTimeout: 500, linger: 0 }));
    let path = "";
    const run = simulate(
      parseSpec(`
duration: 12h
profiles:
  p:
    sensors:
      x: { interval: 1s, source: { type: noise } }
devices:
  - { profile: p, id: lonely }
`),
      { transport, onReady: () => void (path = transport.links()[0]!.path) },
    );
    await expect(run).rejects.toThrow(/nobody has read .*lonely for 500 ms/);
    expect(await transport.waitForReaders(0)).toEqual([]); // stopped: no lines left
    const { existsSync } = await import("node:fs");
    expect(path).not.toBe("");
    expect(existsSync(path)).toBe(false);
  });
});
