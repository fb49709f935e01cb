/** Per-process CPU time and RSS from /proc (the same measure for Node and mosquitto). */
import { readFileSync } from "node:fs";
import { execFileSync } from "node:child_process";

const TICKS = Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim()) || 100;

export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // fields[11], fields[12]: utime, stime (fields 14 and 15 of proc(5), counted after the comm)
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS;
}

export function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) * 1024 : 0;
}
