/**
 * Turns configured points into poll jobs: points of one unit, table, period and priority
 * whose registers are contiguous or overlap are read in one request of at most
 * `maxRegisters` registers. Registers between points are never read (a gap could hold
 * addresses the device does not implement, answered with exception 2).
 */
import type { ModbusPoint } from "./config";
import { FC_READ_HOLDING, FC_READ_INPUT, type ReadRequest } from "./pdu";
import { registerCount } from "./registers";

export const PRIORITY = { safety: 0, normal: 1, low: 2 } as const;

export interface PollJob {
  /** e.g. "u1:holding:100+4" */
  key: string;
  req: ReadRequest;
  priority: number;
  everyMs: number;
  /** Each point and where its first register sits in the response. */
  points: { point: ModbusPoint; at: number }[];
}

export function planPolls(points: ModbusPoint[], maxRegisters: number): PollJob[] {
  const groups = new Map<string, ModbusPoint[]>();
  for (const p of points) {
    const g = `${p.unit}|${p.table}|${p.everyMs}|${p.priority}`;
    groups.set(g, [...(groups.get(g) ?? []), p]);
  }
  const jobs: PollJob[] = [];
  for (const group of groups.values()) {
    const sorted = [...group].sort((a, b) => a.address - b.address);
    let cur: { start: number; end: number; points: ModbusPoint[] } | undefined;
    const flush = () => {
      if (!cur) return;
      const first = cur.points[0]!;
      const req: ReadRequest = {
        unit: first.unit,
        fc: first.table === "holding" ? FC_READ_HOLDING : FC_READ_INPUT,
        address: cur.start,
        count: cur.end - cur.start,
      };
      jobs.push({
        key: `u${req.unit}:${first.table}:${req.address}+${req.count}`,
        req,
        priority: PRIORITY[first.priority],
        everyMs: first.everyMs,
        points: cur.points.map((point) => ({ point, at: point.address - cur!.start })),
      });
    };
    for (const p of sorted) {
      const end = p.address + registerCount(p.type);
      if (cur && p.address <= cur.end && Math.max(cur.end, end) - cur.start <= maxRegisters) {
        cur.end = Math.max(cur.end, end);
        cur.points.push(p);
      } else {
        flush();
        cur = { start: p.address, end, points: [p] };
      }
    }
    flush();
  }
  return jobs.sort(
    (a, b) => a.priority - b.priority || a.req.unit - b.req.unit || a.req.address - b.req.address,
  );
}
