// Deterministic rule sets and telemetry for the rules benchmark.
import { parseRules, type Reading, type RuleSet } from "../../rules/src/index.ts";

/** Small seeded PRNG (mulberry32) so every run sees the same data. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * 100 rules of every kind. `sensors` is how many distinct sensors they spread over:
 * 1 means every rule reads the same sensor (each reading evaluates all 100 rules).
 */
export function benchRules(sensors: number): RuleSet {
  const s = (i: number) => `s${i % sensors}`;
  const s2 = (i: number) => `s${(i + 1) % sensors}`;
  const out: string[] = [];
  for (let i = 0; i < 100; i++) {
    const lvl = 40 + (i % 20);
    const id = `r${i}`;
    switch (i % 10) {
      case 0:
      case 1:
        out.push(`  - id: ${id}\n    when: { threshold: { sensor: ${s(i)}, above: ${lvl} } }`);
        break;
      case 2:
        out.push(
          `  - id: ${id}\n    when: { threshold: { sensor: ${s(i)}, below: ${lvl - 20}, hysteresis: 2 } }`,
        );
        break;
      case 3:
        out.push(
          `  - id: ${id}\n    when: { threshold: { sensor: ${s(i)}, outside: [${lvl - 30}, ${lvl + 10}], hysteresis: 1 } }`,
        );
        break;
      case 4:
        out.push(
          `  - id: ${id}\n    when: { threshold: { sensor: ${s(i)}, above: ${lvl}, hysteresis: 3 } }\n    for: 30s\n    clear_for: 10s`,
        );
        break;
      case 5:
        out.push(
          `  - id: ${id}\n    when: { rate: { sensor: ${s(i)}, window: 1m, per: min, outside: [-20, 20] } }`,
        );
        break;
      case 6:
        out.push(`  - id: ${id}\n    when: { stale: { sensor: ${s(i)}, after: 5m } }`);
        break;
      case 7:
        out.push(
          `  - id: ${id}\n    when:\n      all:\n        - threshold: { sensor: ${s(i)}, above: ${lvl} }\n        - threshold: { sensor: ${s2(i)}, below: ${lvl} }`,
        );
        break;
      case 8:
        out.push(
          `  - id: ${id}\n    when:\n      any:\n        - threshold: { sensor: ${s(i)}, inside: [${lvl}, ${lvl + 5}] }\n        - not: { threshold: { sensor: ${s(i)}, above: 5 } }`,
        );
        break;
      default:
        out.push(`  - id: ${id}\n    when: { deadband: { sensor: ${s(i)}, band: 5 } }`);
    }
  }
  return parseRules(`rules:\n${out.join("\n")}\n`, "bench.yaml");
}

/**
 * `n` readings round-robin over `devices` devices and `sensors` sensors, every device
 * reporting each sensor every `periodMs` (interleaved across devices, or `grouped` per device); values random-walk between 0 and 100 so that
 * thresholds are crossed often.
 */
export function benchReadings(
  n: number,
  devices: number,
  sensors: number,
  periodMs = 10_000,
  seed = 1,
  grouped = false,
): Reading[] {
  const rnd = prng(seed);
  const ids = Array.from({ length: devices }, (_, i) => `dev-${String(i).padStart(5, "0")}`);
  const names = Array.from({ length: sensors }, (_, i) => `s${i}`);
  const walk = new Float64Array(devices * sensors).map(() => rnd() * 100);
  const perRound = devices * sensors;
  const out: Reading[] = new Array(n);
  for (let k = 0; k < n; k++) {
    const round = Math.floor(k / perRound);
    const j = k % perRound;
    // Interleaved: one sensor of every device, then the next sensor. Grouped: every sensor
    // of one device together (one telemetry message per device), then the next device.
    const d = grouped ? Math.floor(j / sensors) : j % devices;
    const s = grouped ? j % sensors : Math.floor(j / devices);
    const w = d * sensors + s;
    walk[w] = Math.min(100, Math.max(0, walk[w]! + (rnd() - 0.5) * 4));
    out[k] = {
      device: ids[d]!,
      sensor: names[s]!,
      t: round * periodMs + Math.floor((j * periodMs) / perRound),
      value: Math.round(walk[w]! * 10) / 10,
    };
  }
  return out;
}
