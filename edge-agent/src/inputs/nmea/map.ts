/**
 * NMEA packets (parsed by nmea-simple) to readings named "<prefix>.<field>":
 *   GGA -> lat, lon (deg), alt (m above mean sea level), sats (in use), fix (GGA quality 0-8), hdop
 *   RMC -> speed (m/s), course (deg true); lat/lon too when no GGA came in the last 5 s
 *   VTG -> speed, course, when no RMC came in the last 5 s
 *   GSA -> fixmode (1 none, 2 2D, 3 3D), pdop, vdop
 * nmea-simple turns empty fields into 0, so position is only reported with a fix
 * (GGA quality > 0, RMC status "A").
 */
import type { Packet } from "nmea-simple";

export const FIX_QUALITY: Record<string, number> = {
  none: 0,
  fix: 1,
  delta: 2,
  pps: 3,
  rtk: 4,
  frtk: 5,
  estimated: 6,
  manual: 7,
  simulation: 8,
};
const FIX_MODE: Record<string, number> = { unknown: 1, none: 1, "2D": 2, "3D": 3 };
const KNOT = 1852 / 3600; // m/s
const STALE_MS = 5000;

export class NmeaMapper {
  private lastGga = -Infinity;
  private lastRmc = -Infinity;

  private readonly names = new Map<string, string>();

  constructor(private readonly prefix: string) {}

  map(p: Packet, t: number): { sensor: string; value: number }[] {
    const r = (field: string, value: number) => ({ sensor: this.name(field), value });
    switch (p.sentenceId) {
      case "GGA": {
        this.lastGga = t;
        const fix = FIX_QUALITY[p.fixType] ?? 0;
        const out = [r("fix", fix), r("sats", p.satellitesInView)];
        if (fix > 0)
          out.push(
            r("lat", p.latitude),
            r("lon", p.longitude),
            r("alt", p.altitudeMeters),
            r("hdop", p.horizontalDilution),
          );
        return out;
      }
      case "RMC": {
        this.lastRmc = t;
        if (p.status !== "valid") return [];
        const out = [r("speed", p.speedKnots * KNOT), r("course", p.trackTrue)];
        if (t - this.lastGga > STALE_MS) out.unshift(r("lat", p.latitude), r("lon", p.longitude));
        return out;
      }
      case "VTG":
        if (t - this.lastRmc <= STALE_MS) return [];
        return [
          r("speed", p.speedKmph !== undefined ? p.speedKmph / 3.6 : p.speedKnots * KNOT),
          r("course", p.trackTrue),
        ];
      case "GSA":
        return [r("fixmode", FIX_MODE[p.fixMode] ?? 1), r("pdop", p.PDOP), r("vdop", p.VDOP)];
      default:
        return [];
    }
  }

  private name(field: string): string {
    let n = this.names.get(field);
    if (n === undefined) this.names.set(field, (n = `${this.prefix}.${field}`));
    return n;
  }
}
