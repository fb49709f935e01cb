// NMEA 0183 over a real socat pty pair at the NMEA default 4800 baud.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { SerialPort } from "serialport";
import { inputRegistry } from "../../src/inputs/registry";
import type { NmeaSource } from "../../src/inputs/nmea/source";
import { withChecksum } from "../../src/inputs/nmea/lines";
import { nmeaSchema } from "../../src/inputs/nmea/config";
import { RecordingSink } from "./helpers/sink";
import { tempDir, until } from "./helpers/tmp";
import { closePort, PtyPair, writeAll } from "./helpers/pty";
import { readingSourceContract } from "./contract";

const gga = withChecksum("GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,") + "\r\n";
const create = (path: string) =>
  inputRegistry.nmea!.create(
    { type: "nmea", path, prefix: "gps1", reopen: { initialMs: 20, maxMs: 100 } },
    { clock: Date.now },
  ) as NmeaSource;

describe("nmea input over a pty pair", () => {
  let tmp: ReturnType<typeof tempDir>;
  let pty: PtyPair;
  let peer: SerialPort | undefined;
  let src: NmeaSource | undefined;

  beforeEach(async () => {
    tmp = tempDir();
    pty = new PtyPair(tmp.dir, "gps");
    await pty.plug();
    peer = await pty.openPeer(4800);
  });
  afterEach(async () => {
    await src?.stop();
    src = undefined;
    await closePort(peer);
    await pty.unplug();
    tmp.cleanup();
  });

  it("reads a fix, counts a bad checksum, ignores unknown sentences, survives split writes", async () => {
    src = create(pty.dev);
    const sink = new RecordingSink();
    await src.start(sink);
    const bad = gga.replace("545.4", "545.5"); // one changed digit: XOR checksum no longer matches
    await writeAll(peer!, gga.slice(0, 30));
    await writeAll(
      peer!,
      gga.slice(30) + bad + withChecksum("GPTXT,01,01,02,ANTSTATUS=OK") + "\r\n",
    );
    await until(
      () =>
        sink.rejects.length === 1 &&
        sink.of("gps1.lat").length === 1 &&
        src!.counters.ignored === 1,
      3000,
      "sentences",
    );
    expect(sink.last("gps1.lat")!.value).toBeCloseTo(48.1173, 6);
    expect(sink.last("gps1.lon")!.value).toBeCloseTo(11.516667, 6);
    expect(sink.last("gps1.alt")!.value).toBe(545.4);
    expect(sink.last("gps1.sats")!.value).toBe(8);
    expect(sink.last("gps1.fix")!.value).toBe(1);
    expect(sink.rejects[0]!.reason).toBe("nmea-checksum");
    expect(src.counters).toMatchObject({ sentences: 1, rejected: 1, ignored: 1 });
  });

  it("reopens after the receiver is unplugged and plugged back", async () => {
    src = create(pty.dev);
    const sink = new RecordingSink();
    await src.start(sink);
    await closePort(peer);
    await pty.unplug();
    await until(() => sink.events.some((e) => e.type === "input-lost"), 3000, "input-lost");
    await pty.plug();
    peer = await pty.openPeer(4800);
    await until(() => sink.events.some((e) => e.type === "input-restored"), 5000, "input-restored");
    await writeAll(peer, gga);
    await until(() => sink.of("gps1.lat").length === 1, 3000, "fix after replug");
  });

  it("config: defaults to 4800 baud and prefix gps; rejects a bad prefix", () => {
    expect(nmeaSchema.parse({ type: "nmea", path: "/dev/ttyS0" })).toMatchObject({
      baudRate: 4800,
      prefix: "gps",
    });
    expect(
      nmeaSchema.safeParse({ type: "nmea", path: "/dev/ttyS0", prefix: "gps 1" }).success,
    ).toBe(false);
  });
});

describe("nmea contract", () => {
  let tmp: ReturnType<typeof tempDir>;
  let pty: PtyPair;
  let peer: SerialPort;
  beforeAll(async () => {
    tmp = tempDir();
    pty = new PtyPair(tmp.dir, "gps");
    await pty.plug();
    peer = await pty.openPeer(4800);
  });
  afterAll(async () => {
    await closePort(peer);
    await pty.unplug();
    tmp.cleanup();
  });
  readingSourceContract("nmea", async () => ({
    source: create(pty.dev),
    produce: () => writeAll(peer, gga),
  }));
});
