/**
 * Bytes to readings for NMEA 0183: framing and checksum (./lines), parsing (nmea-simple),
 * mapping (./map). Pure: no port, no clock; the caller gives the arrival time.
 */
import { parseNmeaSentence } from "nmea-simple";
import type { SourceReading } from "../source";
import { NmeaLineSplitter } from "./lines";
import { NmeaMapper } from "./map";

export interface NmeaDecoded {
  readings: SourceReading[];
  rejects: { reason: string; detail: string }[];
  /** Valid sentences with no mapping (e.g. $GPTXT, $GPGSV, proprietary). */
  ignored: number;
  sentences: number;
}

export class NmeaDecoder {
  private readonly splitter = new NmeaLineSplitter();
  private readonly mapper: NmeaMapper;

  constructor(prefix: string) {
    this.mapper = new NmeaMapper(prefix);
  }

  reset(): void {
    this.splitter.reset();
  }

  push(chunk: Uint8Array, t: number): NmeaDecoded {
    const out: NmeaDecoded = { readings: [], rejects: [], ignored: 0, sentences: 0 };
    for (const line of this.splitter.push(chunk)) {
      if (!line.ok) {
        out.rejects.push({ reason: `nmea-${line.reason}`, detail: line.detail });
        continue;
      }
      let packet;
      try {
        packet = parseNmeaSentence(line.sentence);
      } catch (err) {
        const msg = (err as Error).message;
        if (msg.startsWith("No known parser")) out.ignored++;
        else out.rejects.push({ reason: "nmea-malformed", detail: `${msg}: ${line.sentence}` });
        continue;
      }
      out.sentences++;
      const mapped = this.mapper.map(packet, t);
      if (mapped.length === 0) out.ignored++;
      for (const r of mapped)
        if (Number.isFinite(r.value)) out.readings.push({ sensor: r.sensor, t, value: r.value });
    }
    return out;
  }
}
