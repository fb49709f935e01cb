// Where a process's resident memory is, by kind of mapping, from /proc/PID/smaps.
// Usage as a CLI: node --import tsx bench/edge/smaps.ts PID
import { readFileSync } from "node:fs";

interface Mapping {
  start: number;
  end: number;
  perm: string;
  path: string;
  rssKB: number;
}

const MB = 1024;
const ARENA = 64 * 2 ** 20; // glibc reserves each thread arena as an aligned 64 MiB region

/** Resident MB per kind: V8/anonymous heap, malloc arenas, thread stacks, node text, libraries ... */
export function smapsBreakdown(pid: number): Record<string, number> {
  const maps: Mapping[] = [];
  for (const line of readFileSync(`/proc/${pid}/smaps`, "utf8").split("\n")) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (m) maps.push({ start: parseInt(m[1]!, 16), end: parseInt(m[2]!, 16), perm: m[3]!, path: m[4]!.trim(), rssKB: 0 });
    else if (line.startsWith("Rss:")) maps[maps.length - 1]!.rssKB = Number(line.split(/\s+/)[1]);
  }
  const out: Record<string, number> = {};
  maps.forEach((m, i) => {
    const prev = maps[i - 1];
    const next = maps[i + 1];
    let kind: string;
    if (m.path === "[heap]") kind = "malloc main arena (brk)";
    else if (m.path.startsWith("[")) kind = m.path;
    else if (/\/node$/.test(m.path)) kind = "node binary";
    else if (m.path.endsWith(".node")) kind = "native addons";
    else if (m.path.includes(".so")) kind = "shared libraries";
    else if (m.path) kind = "other files";
    else if (m.perm === "---p") kind = "reserved";
    else if (prev?.perm === "---p" && prev.end === m.start && prev.end - prev.start === 4096) kind = "thread stacks";
    else if (m.start % ARENA === 0 && next?.perm === "---p" && next.start === m.end) kind = "malloc thread arenas";
    else if (m.perm.includes("x")) kind = "anonymous executable (V8 code)";
    else kind = "anonymous (V8 heap, large mallocs)";
    out[kind] = (out[kind] ?? 0) + m.rssKB / MB;
  });
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v >= 0.05).sort((a, b) => b[1] - a[1]));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const b = smapsBreakdown(Number(process.argv[2]));
  for (const [k, v] of Object.entries(b)) console.log(`${v.toFixed(1).padStart(7)} MB  ${k}`);
  console.log(`${Object.values(b).reduce((a, x) => a + x, 0).toFixed(1).padStart(7)} MB  total`);
}
