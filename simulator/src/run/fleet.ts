/** Expands a fleet spec into concrete devices and series, each with its own seeded source. */
import { resolveInstant } from "../spec/fields";
import { deviceIds, type FleetSpec, type SensorSpec } from "../spec/schema";
import { CsvCache } from "../sources/csv";
import { buildSource } from "../sources/registry";
import type { ValueSource } from "../sources/source";

export interface SimDevice {
  /** Position in the fleet; orders simultaneous events deterministically. */
  index: number;
  id: string;
  site: string;
  profile: string;
  firmware: string;
  sensors: { id: string; unit?: string; kind?: string }[];
}

export interface Series {
  index: number;
  device: SimDevice;
  sensor: string;
  spec: SensorSpec;
  source: ValueSource;
}

export interface Fleet {
  seed: number;
  start: number;
  end: number;
  devices: SimDevice[];
  series: Series[];
}

export function buildFleet(spec: FleetSpec, baseDir: string, csv = new CsvCache()): Fleet {
  const start = resolveInstant(spec.start, 0);
  const devices: SimDevice[] = [];
  const series: Series[] = [];
  for (const group of spec.devices) {
    const profile = spec.profiles[group.profile]!;
    const sensors = Object.entries(profile.sensors);
    for (const id of deviceIds(group)) {
      const device: SimDevice = {
        index: devices.length,
        id,
        site: group.site,
        profile: group.profile,
        firmware: profile.firmware,
        sensors: sensors.map(([sid, s]) => ({ id: sid, ...(s.unit ? { unit: s.unit } : {}), ...(s.kind ? { kind: s.kind } : {}) })),
      };
      devices.push(device);
      for (const [sid, s] of sensors) {
        series.push({
          index: series.length,
          device,
          sensor: sid,
          spec: s,
          source: buildSource(s.source, { seed: spec.seed, key: `${id}/${sid}`, start, baseDir, csv }),
        });
      }
    }
  }
  return { seed: spec.seed, start, end: start + spec.duration, devices, series };
}
