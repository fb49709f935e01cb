// Golden cases: cases/nmea/<case>/input.nmea decoded must equal expected.json.
// Sentence checksums and the 82-char limit: NMEA 0183 v4.10 §5.3.
import { describe, expect, it } from "vitest";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { NmeaDecoder } from "../../src/inputs/nmea/decoder";

const root = join(import.meta.dirname, "cases", "nmea");
const T = 1_700_000_000_000;

function decode(input: Buffer) {
  const d = new NmeaDecoder("gps");
  // Feed in uneven chunks: framing must not depend on how the UART splits bytes.
  const out = { readings: [] as [string, number][], rejects: [] as string[], ignored: 0 };
  for (let i = 0; i < input.length; i += 7) {
    const r = d.push(input.subarray(i, i + 7), T);
    out.readings.push(
      ...r.readings.map((x): [string, number] => [x.sensor, Number(x.value.toFixed(6))]),
    );
    out.rejects.push(...r.rejects.map((x) => x.reason));
    out.ignored += r.ignored;
  }
  return out;
}

describe("NMEA golden cases", () => {
  for (const name of readdirSync(root).sort()) {
    it(name, () => {
      const got = decode(readFileSync(join(root, name, "input.nmea")));
      const file = join(root, name, "expected.json");
      if (process.env.UPDATE_GOLDEN) writeFileSync(file, JSON.stringify(got, null, 1) + "\n");
      expect(got).toEqual(JSON.parse(readFileSync(file, "utf8")));
    });
  }
});
