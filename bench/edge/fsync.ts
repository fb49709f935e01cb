// Cost of the outbox fsync policies: append latency and throughput of one 16 KiB record
// (about a 1000-reading telemetry batch) on this machine's disk, written straight to the
// SegmentOutbox. Prints JSON.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SegmentOutbox, type FsyncPolicy } from "../../edge-agent/src/outbox/index.ts";
import { percentiles } from "./stats.ts";

const payload = new Uint8Array(16 * 1024).map((_, i) => i & 0xff);

async function run(fsync: FsyncPolicy, n: number) {
  const dir = mkdtempSync(join(tmpdir(), "fl-bench-fsync-"));
  const box = new SegmentOutbox({ dir, maxBytes: 1 << 30, fsync, fsyncIntervalMs: 200 });
  await box.open();
  const lat: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const a = performance.now();
    box.append({ kind: "telemetry", retain: false, payload });
    lat.push((performance.now() - a) * 1000);
    // Let the interval timer run now and then, as it would between input callbacks.
    if (i % 50 === 49) await new Promise((r) => setImmediate(r));
  }
  const seconds = (performance.now() - t0) / 1000;
  await box.close();
  rmSync(dir, { recursive: true, force: true });
  return { fsync, records: n, recordBytes: payload.length, appendsPerSec: n / seconds, MBps: (n * payload.length) / seconds / 2 ** 20, appendMicros: percentiles(lat) };
}

const out = [await run("never", 5000), await run("interval", 5000), await run("always", 500)];
process.stdout.write(`${JSON.stringify(out)}\n`);
process.exit(0);
