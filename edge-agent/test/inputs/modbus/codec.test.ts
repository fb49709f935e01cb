// Modbus RTU codec units: CRC, request/response frames, register decoding, poll planning.
import { describe, expect, it } from "vitest";
import { crc16modbus, crcOk, withCrc } from "../../../src/inputs/modbus/crc";
import {
  decodeReadResponse,
  encodeReadRequest,
  hex,
  ResponseAssembler,
  type ReadRequest,
} from "../../../src/inputs/modbus/pdu";
import { decodeRegisters, encodeRegisters } from "../../../src/inputs/modbus/registers";
import { planPolls } from "../../../src/inputs/modbus/plan";
import { modbusPointSchema } from "../../../src/inputs/modbus/config";
import { interFrameMs } from "../../../src/inputs/modbus/timing";

const bytes = (h: string) => new Uint8Array(Buffer.from(h.replace(/\s/g, ""), "hex"));

describe("CRC-16/MODBUS", () => {
  it("has the catalogued check value 0x4B37 over '123456789'", () => {
    expect(crc16modbus(new TextEncoder().encode("123456789"))).toBe(0x4b37);
  });
  it("is appended low byte first and verified", () => {
    const f = withCrc(bytes("01 03 00 00 00 0a"));
    expect(hex(f)).toBe("01030000000ac5cd"); // the textbook "read 10 holding registers from unit 1"
    expect(crcOk(f)).toBe(true);
    f[3] = 1;
    expect(crcOk(f)).toBe(false);
  });
});

describe("read request / response frames", () => {
  const req: ReadRequest = { unit: 17, fc: 3, address: 0x006b, count: 3 };

  it("encodes function 3 and 4 requests and refuses bad counts", () => {
    // Modbus Application Protocol V1.1b3 §6.3 example: read 3 registers from 0x006B.
    expect(hex(encodeReadRequest(req)).slice(0, 12)).toBe("1103006b0003");
    expect(hex(encodeReadRequest({ ...req, fc: 4 })).slice(0, 4)).toBe("1104");
    expect(() => encodeReadRequest({ ...req, count: 126 })).toThrow(RangeError);
    expect(() => encodeReadRequest({ ...req, address: 65535, count: 2 })).toThrow(RangeError);
  });

  it("decodes the §6.3 example answer, in any chunking", () => {
    const answer = withCrc(bytes("11 03 06 02 2b 00 00 00 64"));
    for (const split of [1, 2, 5, answer.length]) {
      const asm = new ResponseAssembler(req);
      let r;
      for (let i = 0; i < answer.length; i += split)
        r = asm.push(answer.subarray(i, i + split)) ?? r;
      expect(r).toEqual({ ok: true, registers: new Uint16Array([0x022b, 0, 0x64]) });
    }
  });

  it("decodes exception answers (§7) and flags CRC errors and mismatches", () => {
    expect(decodeReadResponse(req, withCrc(bytes("11 83 02")))).toMatchObject({
      ok: false,
      kind: "exception",
      code: 2,
      message: "exception 2 (illegal data address)",
    });
    const bad = withCrc(bytes("11 03 06 02 2b 00 00 00 64"));
    bad[4] = 0;
    expect(decodeReadResponse(req, bad)).toMatchObject({ ok: false, kind: "crc" });
    expect(decodeReadResponse(req, withCrc(bytes("12 03 02 00 01")))).toMatchObject({
      kind: "mismatch",
    });
    expect(decodeReadResponse(req, withCrc(bytes("11 04 02 00 01")))).toMatchObject({
      kind: "mismatch",
    });
    expect(decodeReadResponse(req, withCrc(bytes("11 03 02 00 01")))).toMatchObject({
      kind: "mismatch",
    });
  });

  it("exception frames are complete at 5 bytes", () => {
    const asm = new ResponseAssembler(req);
    const f = withCrc(bytes("11 83 06"));
    expect(asm.push(f.subarray(0, 4))).toBeUndefined();
    expect(asm.push(f.subarray(4))).toMatchObject({ kind: "exception", code: 6 });
  });
});

describe("register decoding", () => {
  const cases: [number[], Parameters<typeof decodeRegisters>[2], "big" | "little", number][] = [
    [[0xffff], "u16", "big", 65535],
    [[0xffff], "i16", "big", -1],
    [[0x8000], "i16", "big", -32768],
    [[0x0001, 0x0002], "u32", "big", 0x00010002],
    [[0x0002, 0x0001], "u32", "little", 0x00010002],
    [[0xffff, 0xfffe], "i32", "big", -2],
    [[0x41bc, 0x0000], "f32", "big", 23.5],
    [[0x0000, 0x41bc], "f32", "little", 23.5],
  ];
  for (const [regs, type, order, want] of cases) {
    it(`${type} ${order} ${regs.map((r) => r.toString(16)).join(" ")} -> ${want}`, () => {
      expect(decodeRegisters(regs, 0, type, order)).toBe(want);
      expect(encodeRegisters(want, type, order)).toEqual(regs);
    });
  }
  it("applies scale and offset, at an index", () => {
    expect(decodeRegisters([0, 0, 2315], 2, "i16", "big", 0.1, -273.15)).toBeCloseTo(
      231.5 - 273.15,
      9,
    );
  });
});

describe("poll planning", () => {
  const p = (o: Record<string, unknown>) =>
    modbusPointSchema.parse({ unit: 1, table: "holding", ...o });

  it("merges contiguous points of one unit/table/period/priority, never reads gaps", () => {
    const jobs = planPolls(
      [
        p({ sensor: "a", address: 0 }),
        p({ sensor: "b", address: 1, type: "f32" }),
        p({ sensor: "c", address: 3 }),
        p({ sensor: "d", address: 10 }), // gap: separate request
        p({ sensor: "e", address: 4, table: "input" }),
        p({ sensor: "s", address: 20, priority: "safety", everyMs: 100 }),
      ],
      64,
    );
    expect(jobs.map((j) => j.key)).toEqual([
      "u1:holding:20+1",
      "u1:holding:0+4",
      "u1:input:4+1",
      "u1:holding:10+1",
    ]);
    expect(jobs[0]!.priority).toBe(0);
    expect(jobs[1]!.points.map((x) => [x.point.sensor, x.at])).toEqual([
      ["a", 0],
      ["b", 1],
      ["c", 3],
    ]);
  });

  it("splits at maxRegisters", () => {
    const pts = Array.from({ length: 10 }, (_, i) => p({ sensor: `r${i}`, address: i }));
    expect(planPolls(pts, 4).map((j) => j.req.count)).toEqual([4, 4, 2]);
  });
});

describe("RTU timing", () => {
  it("t3.5 is 3.5 eleven-bit characters, fixed 1.75 ms above 19200 baud", () => {
    expect(interFrameMs(9600)).toBeCloseTo((3.5 * 11 * 1000) / 9600, 9);
    expect(interFrameMs(115200)).toBe(1.75);
  });
});
