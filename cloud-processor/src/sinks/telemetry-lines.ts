/**
 * Telemetry messages as line protocol, one buffer (UTF-8) per message: measurement `telemetry`,
 * tags device/sensor/site, fields value (or fault for NaN/Inf), score, q; ms timestamp.
 * The same bytes as `toLine` on the equivalent Point (test/unit/line-writer.test.ts), built
 * in a reused byte buffer with the series key (measurement and escaped tags) cached per
 * (site, device, sensor), so a reading costs no string or object of its own.
 */
import type { Telemetry } from "@fieldline/firmware-contracts";
import { seriesKey } from "./line-protocol.ts";
import { LineWriter, seriesBytes } from "./line-writer.ts";
import type { LineBatch } from "./sink.ts";

/** The fault field of a non-finite value: 1 NaN, 2 +Inf, 3 -Inf. */
export const faultCode = (v: number): number => (Number.isNaN(v) ? 1 : v > 0 ? 2 : 3);

const SPACE = 32;
const NEWLINE = 10;
/** A line's bytes after its prefix: a float64 (24 chars at most), ",score=" and another, ",q=2", " " and a timestamp (17), "\n". */
const MAX_FIELDS_BYTES = 96;
/** Series keys kept before the cache starts over (bounded memory with many devices). */
const MAX_DEVICES = 100_000;

/** A series key as bytes, followed by the first field's name: what every line starts with. */
interface Prefixes {
  value: Uint8Array;
  fault: Uint8Array;
}

export class TelemetryLines {
  /** `site/device` -> sensor -> line prefixes. */
  private readonly seriesKeys = new Map<string, Map<string, Prefixes>>();
  private readonly out = new LineWriter();

  /** The message's points; `scores[i]` (when finite) is the score of reading i. */
  lines(site: string, msg: Telemetry, scores: Float64Array | undefined): LineBatch {
    const keys = this.seriesOf(site, msg.device);
    const w = this.out;
    const readings = msg.readings;
    for (let i = 0; i < readings.length; i++) {
      const rd = readings[i]!;
      let prefix = keys.get(rd.sensor);
      if (prefix === undefined) {
        const series = seriesKey("telemetry", { device: msg.device, sensor: rd.sensor, site });
        prefix = { value: seriesBytes(series + " value="), fault: seriesBytes(series + " fault=") };
        keys.set(rd.sensor, prefix);
      }
      w.reserve(prefix.value.length + MAX_FIELDS_BYTES);
      if (Number.isFinite(rd.value)) {
        w.bytes(prefix.value);
        w.float(rd.value);
        const sc = scores?.[i];
        if (sc !== undefined && Number.isFinite(sc)) {
          w.ascii(",score=");
          w.float(sc);
        }
      } else {
        w.bytes(prefix.fault);
        w.int(faultCode(rd.value));
      }
      if (rd.q !== undefined) {
        w.ascii(",q=");
        w.int(rd.q);
      }
      w.byte(SPACE);
      w.int(rd.t);
      w.byte(NEWLINE);
    }
    return { lines: w.take(), points: readings.length };
  }

  /** The series keys of one (site, device), by sensor. */
  private seriesOf(site: string, device: string): Map<string, Prefixes> {
    const k = site + "/" + device;
    let bySensor = this.seriesKeys.get(k);
    if (!bySensor) {
      if (this.seriesKeys.size >= MAX_DEVICES) this.seriesKeys.clear();
      bySensor = new Map();
      this.seriesKeys.set(k, bySensor);
    }
    return bySensor;
  }
}
