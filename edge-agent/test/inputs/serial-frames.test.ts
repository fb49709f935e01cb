// Firmware frames over a real socat pty pair, read through the real serialport binding.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { SerialPort } from "serialport";
import { renameSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { encodeFrame } from "@fieldline/firmware-contracts";
import { inputRegistry } from "../../src/inputs/registry";
import type { SerialFramesSource } from "../../src/inputs/serial-frames/source";
import { McuClock } from "../../src/inputs/serial-frames/clock";
import { RecordingSink } from "./helpers/sink";
import { tempDir, until } from "./helpers/tmp";
import { closePort, PtyPair, writeAll } from "./helpers/pty";
import { readingSourceContract } from "./contract";

const reopen = { initialMs: 20, maxMs: 100 };

function create(path: string, extra: Record<string, unknown> = {}): SerialFramesSource {
  return inputRegistry["serial-frames"]!.create(
    { type: "serial-frames", path, reopen, ...extra },
    { clock: Date.now },
  ) as SerialFramesSource;
}

const readings = (seq: number, rs: { sensor: string; value: number; t?: number; q?: number }[]) =>
  encodeFrame({ type: "readings", seq, body: { readings: rs } });

describe("McuClock", () => {
  it("anchors MCU time at the first frame, tightens to the least transit, re-anchors on a lag that lasts", () => {
    const c = new McuClock(2000);
    expect(c.toHost(1000, 50_000, 1000)).toBe(50_000);
    expect(c.toHost(1100, 50_120, 1100)).toBe(50_100); // 20 ms in transit: keep the older anchor
    expect(c.toHost(1200, 50_190, 1200)).toBe(50_190); // faster than before: tighten
    expect(c.toHost(1300, 60_000, 1300)).toBe(50_290); // lag > 2 s once: kept (a re-sent frame)
    expect(c.toHost(1400, 61_000, 1400)).toBe(50_390); // still lagging, for 1 s
    expect(c.toHost(1500, 62_100, 1500)).toBe(60_200); // for 2.1 s: the clocks moved apart, re-anchor to the least lag seen
    c.reset();
    expect(c.toHost(5, 70_000, 10)).toBe(69_995); // relative to the newest reading in its frame
  });

  it("a frame re-sent after an outage keeps the time it was sampled at", () => {
    const c = new McuClock(2000);
    expect(c.toHost(10_000, 110_000, 10_000)).toBe(110_000);
    expect(c.toHost(11_000, 111_000, 11_000)).toBe(111_000);
    // the agent was away 30 s; the MCU re-sends what it sampled at MCU 12 s, then fresh frames
    expect(c.toHost(12_000, 141_000, 12_000)).toBe(112_000);
    expect(c.toHost(41_000, 141_010, 41_000)).toBe(141_000);
    expect(c.toHost(13_000, 141_020, 13_000)).toBe(113_000);
  });

  it("one frame with a bogus MCU time does not move the anchor", () => {
    const c = new McuClock(2000);
    expect(c.toHost(1000, 50_000, 1000)).toBe(50_000);
    const far = 31_536_000_000_000; // 1000 years of MCU time
    expect(c.toHost(far, 51_000, far)).toBe(far + 49_000); // converted with the old anchor (the agent judges it)
    expect(c.toHost(5000, 54_000, 5000)).toBe(54_000); // the next real frame keeps its time
  });

  it("a saved anchor is restored after a restart", () => {
    const first = new McuClock(2000);
    first.toHost(10_000, 110_000, 10_000);
    const second = new McuClock(2000);
    second.restore(first.anchor!);
    expect(second.toHost(12_000, 140_000, 12_000)).toBe(112_000); // re-sent after the restart
  });
});

describe("serial-frames input over a pty pair", () => {
  let tmp: ReturnType<typeof tempDir>;
  let pty: PtyPair;
  let peer: SerialPort | undefined;
  let src: SerialFramesSource | undefined;

  beforeEach(async () => {
    tmp = tempDir();
    pty = new PtyPair(tmp.dir);
    await pty.plug();
    peer = await pty.openPeer();
  });
  afterEach(async () => {
    await src?.stop();
    src = undefined;
    await closePort(peer);
    await pty.unplug();
    tmp.cleanup();
  });

  it("maps readings with host arrival time, records hello units, turns events into events", async () => {
    src = create(pty.dev);
    const sink = new RecordingSink();
    await src.start(sink);
    const before = Date.now();
    await writeAll(
      peer!,
      Buffer.concat([
        encodeFrame({
          type: "hello",
          seq: 0,
          body: {
            firmware: "1.4.2",
            sensors: [
              { id: "temp", unit: "Cel" },
              { id: "press", unit: "kPa" },
            ],
          },
        }),
        readings(1, [
          { sensor: "temp", value: 21.5, t: 1000 },
          { sensor: "press", value: 101.3, q: 1 },
        ]),
        encodeFrame({
          type: "event",
          seq: 2,
          body: { type: "fault", code: 7, message: "ADC stuck", sensor: "temp" },
        }),
        readings(3, [{ sensor: "temp", value: NaN }]),
      ]),
    );
    await until(() => sink.all.length === 3 && sink.events.length === 2, 3000, "frames");
    const after = Date.now();
    expect(sink.all.map((r) => [r.sensor, r.value, r.q])).toEqual([
      ["temp", 21.5, undefined],
      ["press", 101.3, 1],
      ["temp", NaN, undefined],
    ]);
    for (const r of sink.all) expect(r.t >= before && r.t <= after).toBe(true);
    expect(src.units).toEqual({ temp: "Cel", press: "kPa" });
    expect(src.firmware).toBe("1.4.2");
    expect(sink.events[0]).toMatchObject({ type: "mcu-hello", severity: "info" });
    expect(sink.events[1]).toMatchObject({
      type: "fault",
      severity: "warning",
      message: "ADC stuck",
      data: { code: 7, sensor: "temp" },
    });
    expect(src.counters).toMatchObject({ frames: 4, readings: 3, rejected: 0, seqGaps: 0 });
  });

  it("counts corrupt frames and sequence gaps and carries on", async () => {
    src = create(pty.dev);
    const sink = new RecordingSink();
    await src.start(sink);
    const bad = readings(1, [{ sensor: "a", value: 1 }]);
    bad[5] = bad[5]! ^ 0x40; // CRC no longer matches
    await writeAll(
      peer!,
      Buffer.concat([
        readings(0, [{ sensor: "a", value: 0 }]),
        bad,
        Buffer.from([0x01, 0x01, 0x00]), // too short to be a frame
        readings(5, [{ sensor: "a", value: 5 }]),
      ]),
    );
    await until(
      () => sink.of("a").length === 2 && sink.rejects.length === 2,
      3000,
      "frames and rejects",
    );
    expect(sink.rejects.map((r) => r.reason)).toEqual(["crc", "crc"]);
    expect(sink.rejects[0]!.detail).toMatch(/CRC mismatch/);
    expect(sink.rejects[1]!.detail).toMatch(/shorter than/);
    expect(src.counters.rejected).toBe(2);
    expect(src.counters.seqGaps).toBe(4); // 0 then 5: 1..4 missing
  });

  it('"mcu" time keeps the MCU spacing of samples, anchored at arrival', async () => {
    src = create(pty.dev, { time: "mcu" });
    const sink = new RecordingSink();
    await src.start(sink);
    await writeAll(
      peer!,
      readings(0, [
        { sensor: "v", value: 1, t: 10_000 },
        { sensor: "v", value: 2, t: 10_250 },
      ]),
    );
    await until(() => sink.of("v").length === 2, 3000, "readings");
    const [a, b] = sink.of("v");
    expect(b!.t - a!.t).toBe(250);
    expect(Math.abs(b!.t - Date.now())).toBeLessThan(1000);
  });

  it("reopens the port after an unplug (socat killed) and a replug on the same path", async () => {
    src = create(pty.dev);
    const sink = new RecordingSink();
    await src.start(sink);
    await writeAll(peer!, readings(0, [{ sensor: "x", value: 1 }]));
    await until(() => sink.of("x").length === 1, 3000, "first reading");

    await closePort(peer);
    await pty.unplug();
    await until(() => sink.events.some((e) => e.type === "input-lost"), 3000, "input-lost event");
    await new Promise((r) => setTimeout(r, 150)); // a few failed reopen attempts
    expect(sink.events.filter((e) => e.type === "input-unavailable").length).toBeLessThanOrEqual(1);

    await pty.plug();
    peer = await pty.openPeer();
    await until(
      () => sink.events.some((e) => e.type === "input-restored"),
      5000,
      "input-restored event",
    );
    await writeAll(peer, readings(1, [{ sensor: "x", value: 2 }]));
    await until(() => sink.of("x").length === 2, 3000, "reading after replug");
    expect(sink.of("x").map((r) => r.value)).toEqual([1, 2]);
    expect(src.counters.reopens).toBe(1);
  });

  it("notices when its path is pointed at another device (no hang-up) and follows it", async () => {
    // /dev/serial/by-id style: a stable link whose target changes. Both ptys stay alive, so
    // only the path watch can tell.
    const other = new PtyPair(tmp.dir, "other");
    await other.plug();
    const link = join(tmp.dir, "by-id-mcu");
    symlinkSync(pty.dev, link);
    src = create(link);
    const sink = new RecordingSink();
    await src.start(sink);
    await writeAll(peer!, readings(0, [{ sensor: "first", value: 1 }]));
    await until(() => sink.of("first").length === 1, 3000, "reading on the first device");
    const tmpLink = `${link}.new`;
    symlinkSync(other.dev, tmpLink);
    renameSync(tmpLink, link);
    await until(
      () => sink.events.some((e) => e.type === "input-restored"),
      5000,
      "reopen on the new target",
    );
    expect(sink.events.find((e) => e.type === "input-lost")?.message).toMatch(/another device/);
    const otherPeer = await other.openPeer();
    await writeAll(otherPeer, readings(0, [{ sensor: "second", value: 2 }]));
    await until(() => sink.of("second").length === 1, 3000, "reading on the second device");
    await src.stop();
    src = undefined;
    await closePort(otherPeer);
    await other.unplug();
  });

  it("starts while the port is absent and opens it once it appears", async () => {
    await closePort(peer);
    await pty.unplug();
    src = create(pty.dev);
    const sink = new RecordingSink();
    await src.start(sink);
    expect(sink.events[0]).toMatchObject({ type: "input-unavailable", severity: "warning" });
    await pty.plug();
    peer = await pty.openPeer();
    // Opened for the first time (not a reopen): keep writing until a frame gets through.
    const deadline = Date.now() + 5000;
    while (sink.of("late").length === 0 && Date.now() < deadline) {
      await writeAll(peer, readings(0, [{ sensor: "late", value: 1 }]));
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(sink.of("late").length).toBeGreaterThan(0);
    expect(src.counters.reopens).toBe(0);
    expect(sink.events.map((e) => e.type)).toEqual(["input-unavailable", "input-restored"]);
  });
});

describe("serial-frames contract", () => {
  let tmp: ReturnType<typeof tempDir>;
  let pty: PtyPair;
  let peer: SerialPort;
  beforeAll(async () => {
    tmp = tempDir();
    pty = new PtyPair(tmp.dir);
    await pty.plug();
    peer = await pty.openPeer();
  });
  afterAll(async () => {
    await closePort(peer);
    await pty.unplug();
    tmp.cleanup();
  });
  let seq = 0;
  readingSourceContract("serial-frames", async () => ({
    source: create(pty.dev),
    produce: () => writeAll(peer, readings(seq++ & 0xffff, [{ sensor: "c", value: seq }])),
  }));
});
