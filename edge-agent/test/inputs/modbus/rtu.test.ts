// Modbus RTU master (ModbusRtuSource) against the ModbusRtuSlave fixture over a socat pty
// pair, both through the real serialport binding, 8E1 at 19200 baud.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { inputRegistry } from "../../../src/inputs/registry";
import type { ModbusRtuSource } from "../../../src/inputs/modbus/source";
import { ModbusRtuSlave } from "../../../src/inputs/modbus/slave";
import { interFrameMs } from "../../../src/inputs/modbus/timing";
import { RecordingSink } from "../helpers/sink";
import { tempDir, until } from "../helpers/tmp";
import { PtyPair } from "../helpers/pty";
import { readingSourceContract } from "../contract";

const BAUD = 19200;

function create(
  path: string,
  points: Record<string, unknown>[],
  extra: Record<string, unknown> = {},
): ModbusRtuSource {
  return inputRegistry["modbus-rtu"]!.create(
    {
      type: "modbus-rtu",
      path,
      baudRate: BAUD,
      timeoutMs: 250,
      reopen: { initialMs: 20, maxMs: 100 },
      points,
      ...extra,
    },
    { clock: Date.now },
  ) as ModbusRtuSource;
}

describe("modbus-rtu input against the test slave over a pty pair", () => {
  let tmp: ReturnType<typeof tempDir>;
  let pty: PtyPair;
  let slave: ModbusRtuSlave;
  let src: ModbusRtuSource | undefined;

  beforeEach(async () => {
    tmp = tempDir();
    pty = new PtyPair(tmp.dir, "rs485");
    await pty.plug();
    slave = new ModbusRtuSlave({ path: pty.peer, baudRate: BAUD, units: [1, 2] });
    await slave.start();
  });
  afterEach(async () => {
    await src?.stop();
    src = undefined;
    await slave.stop();
    await pty.unplug();
    tmp.cleanup();
  });

  it("polls holding and input registers and decodes every type, word order, scale and offset", async () => {
    slave.setValue(1, "holding", 0, 1234, "u16");
    slave.setValue(1, "holding", 1, -42, "i16");
    slave.setValue(1, "holding", 2, 3_000_000_000, "u32");
    slave.setValue(1, "holding", 4, -70_000, "i32", "little");
    slave.setValue(1, "input", 10, 21.75, "f32");
    slave.setValue(2, "input", 0, 2315, "u16");
    src = create(pty.dev, [
      { sensor: "u16", unit: 1, table: "holding", address: 0, everyMs: 50 },
      { sensor: "i16", unit: 1, table: "holding", address: 1, type: "i16", everyMs: 50 },
      { sensor: "u32", unit: 1, table: "holding", address: 2, type: "u32", everyMs: 50 },
      {
        sensor: "i32",
        unit: 1,
        table: "holding",
        address: 4,
        type: "i32",
        wordOrder: "little",
        everyMs: 50,
      },
      { sensor: "f32", unit: 1, table: "input", address: 10, type: "f32", everyMs: 50 },
      {
        sensor: "temp",
        unit: 2,
        table: "input",
        address: 0,
        scale: 0.1,
        offset: -273.15,
        everyMs: 50,
      },
    ]);
    const sink = new RecordingSink();
    await src.start(sink);
    await until(
      () => ["u16", "i16", "u32", "i32", "f32", "temp"].every((s) => sink.of(s).length >= 2),
      5000,
      "all points read twice",
    );
    expect(sink.last("u16")!.value).toBe(1234);
    expect(sink.last("i16")!.value).toBe(-42);
    expect(sink.last("u32")!.value).toBe(3_000_000_000);
    expect(sink.last("i32")!.value).toBe(-70_000);
    expect(sink.last("f32")!.value).toBe(21.75);
    expect(sink.last("temp")!.value).toBeCloseTo(231.5 - 273.15, 9);
    // Six points, three requests: holding 0..5 of unit 1 merged into one read.
    expect(src.jobs.map((j) => j.key)).toEqual(["u1:holding:0+6", "u1:input:10+2", "u2:input:0+1"]);
    expect(sink.rejects).toEqual([]);
  });

  it("never has two requests on the bus: each request comes after the previous answer plus t3.5", async () => {
    for (let u = 1; u <= 2; u++)
      for (let a = 0; a < 8; a++) slave.setValue(u, "holding", a, a, "u16");
    slave.delayMs = 3; // a slave that takes its time
    src = create(
      pty.dev,
      Array.from({ length: 8 }, (_, i) => ({
        sensor: `p${i}`,
        unit: 1 + (i % 2),
        table: "holding",
        address: i,
        everyMs: 10,
        priority: i === 7 ? "safety" : "normal",
      })),
      { maxRegisters: 1 },
    );
    const sink = new RecordingSink();
    await src.start(sink);
    await until(() => slave.log.length >= 40, 10_000, "40 requests");
    await src.stop();
    src = undefined;
    const log = slave.log.slice(0, 40);
    // The safety point (p7 = unit 2, address 7) is asked first.
    expect([log[0]!.unit, log[0]!.address]).toEqual([2, 7]);
    for (let i = 1; i < log.length; i++) {
      const prev = log[i - 1]!;
      expect(prev.answeredAt).toBeDefined();
      expect(log[i]!.receivedAt - prev.answeredAt!).toBeGreaterThanOrEqual(interFrameMs(BAUD));
    }
  });

  it("safety reads keep their period on a busy bus", async () => {
    for (let a = 0; a < 10; a++) slave.setValue(1, "holding", a, a, "u16");
    slave.setValue(1, "holding", 100, 1, "u16");
    slave.delayMs = 5;
    src = create(
      pty.dev,
      [
        ...Array.from({ length: 10 }, (_, i) => ({
          sensor: `n${i}`,
          unit: 1,
          table: "holding",
          address: i,
          everyMs: 20,
        })),
        {
          sensor: "pressure",
          unit: 1,
          table: "holding",
          address: 100,
          everyMs: 50,
          priority: "safety",
        },
      ],
      { maxRegisters: 1 },
    );
    const sink = new RecordingSink();
    await src.start(sink);
    const t0 = Date.now();
    await until(() => sink.of("pressure").length >= 8, 10_000, "8 safety reads");
    const elapsed = Date.now() - t0;
    // Eleven reads due every 20-50 ms, each taking >= ~7 ms: the bus is over-subscribed.
    // Normal reads fall behind their period; the safety read keeps a larger share of its own.
    const safetyShare = sink.of("pressure").length / (elapsed / 50);
    const normalShare = sink.of("n9").length / (elapsed / 20);
    expect(normalShare).toBeLessThan(0.7);
    expect(safetyShare).toBeGreaterThan(normalShare);
    expect(src.bus!.timeouts).toBe(0);
  });

  it("reports exception answers once per job, counts them, and recovers", async () => {
    slave.setValue(1, "holding", 0, 7, "u16");
    src = create(pty.dev, [
      { sensor: "ok", unit: 1, table: "holding", address: 0, everyMs: 20 },
      { sensor: "missing", unit: 1, table: "input", address: 500, everyMs: 20 },
    ]);
    const sink = new RecordingSink();
    await src.start(sink);
    await until(
      () => sink.rejects.length >= 3 && sink.of("ok").length >= 3,
      5000,
      "exceptions and readings",
    );
    expect(sink.rejects[0]).toMatchObject({ reason: "modbus-exception" });
    expect(sink.rejects[0]!.detail).toMatch(
      /unit 1 fc 4 @500\+1: exception 2 \(illegal data address\)/,
    );
    expect(sink.events.filter((e) => e.type === "modbus-exception")).toHaveLength(1);
    expect(sink.of("missing")).toEqual([]);
    slave.setValue(1, "input", 500, 9, "u16");
    await until(() => sink.of("missing").length > 0, 3000, "recovered point");
    expect(sink.last("missing")!.value).toBe(9);
  });

  it("times out on a silent unit (one event, bus not blocked for others), retries CRC errors, reports recovery", async () => {
    slave.setValue(1, "holding", 0, 1, "u16");
    slave.setValue(2, "holding", 0, 2, "u16");
    slave.setSilent(2, true);
    src = create(
      pty.dev,
      [
        { sensor: "one", unit: 1, table: "holding", address: 0, everyMs: 20 },
        { sensor: "two", unit: 2, table: "holding", address: 0, everyMs: 20, priority: "safety" },
      ],
      { timeoutMs: 50, silentPollMs: 100 },
    );
    const sink = new RecordingSink();
    await src.start(sink);
    await until(
      () => sink.of("one").length >= 10 && src!.counters.timeouts >= 3,
      5000,
      "readings and timeouts",
    );
    const noResp = sink.events.filter((e) => e.type === "modbus-no-response");
    expect(noResp).toHaveLength(1);
    expect(noResp[0]).toMatchObject({ severity: "critical", data: { unit: 2 } });

    slave.setSilent(2, false);
    await until(() => sink.of("two").length > 0, 3000, "unit 2 back");
    expect(sink.events.some((e) => e.type === "modbus-restored")).toBe(true);

    const crcBefore = src.bus!.crcErrors;
    const rejectsBefore = sink.rejects.length;
    slave.corruptNext(1);
    await until(() => src!.bus!.crcErrors > crcBefore, 3000, "a CRC error");
    // Retried: the corrupt answer is not a reject, the next answer is good.
    const n = sink.of("one").length + sink.of("two").length;
    await until(() => sink.of("one").length + sink.of("two").length > n + 1, 3000, "more readings");
    expect(sink.rejects.length).toBe(rejectsBefore);
  });

  it("reopens the bus after the adapter is unplugged and plugged back", async () => {
    slave.setValue(1, "holding", 0, 5, "u16");
    src = create(pty.dev, [{ sensor: "v", unit: 1, table: "holding", address: 0, everyMs: 20 }]);
    const sink = new RecordingSink();
    await src.start(sink);
    await until(() => sink.of("v").length > 0, 3000, "first reading");
    await slave.stop();
    await pty.unplug();
    await until(() => sink.events.some((e) => e.type === "input-lost"), 3000, "input-lost");
    await pty.plug();
    slave = new ModbusRtuSlave({ path: pty.peer, baudRate: BAUD, units: [1] });
    slave.setValue(1, "holding", 0, 6, "u16");
    await slave.start();
    await until(() => sink.last("v")?.value === 6, 5000, "reading after replug");
  });
});

describe("modbus-rtu contract", () => {
  let tmp: ReturnType<typeof tempDir>;
  let pty: PtyPair;
  let slave: ModbusRtuSlave;
  beforeAll(async () => {
    tmp = tempDir();
    pty = new PtyPair(tmp.dir, "rs485");
    await pty.plug();
    slave = new ModbusRtuSlave({ path: pty.peer, baudRate: BAUD, units: [3] });
    await slave.start();
  });
  afterAll(async () => {
    await slave.stop();
    await pty.unplug();
    tmp.cleanup();
  });
  let n = 0;
  readingSourceContract("modbus-rtu", async () => ({
    source: create(pty.dev, [
      { sensor: "level", unit: 3, table: "input", address: 0, everyMs: 20 },
    ]),
    produce: async () => slave.setValue(3, "input", 0, ++n, "u16"),
  }));
});
