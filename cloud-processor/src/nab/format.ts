import type { ProfileReport } from "./score.ts";

/** A short text table of profile reports with per-category scores. */
export function formatReport(reports: Record<string, ProfileReport>): string {
  const lines: string[] = [];
  for (const r of Object.values(reports)) {
    lines.push(
      `${r.profile.padEnd(19)} ${r.mode.padEnd(6)} score=${r.normalized.toFixed(2).padStart(7)} raw=${r.raw.toFixed(3)} ` +
        `threshold=${r.threshold.toPrecision(6)} windows ${r.windowsDetected}/${r.windows} FP points ${r.fpPoints}`,
    );
    for (const [c, d] of Object.entries(r.perCategory).sort()) {
      lines.push(
        `    ${c.padEnd(24)} files=${String(d.files).padStart(2)} windows=${String(d.windows).padStart(2)} ` +
          `detected=${String(d.windowsDetected).padStart(2)} FPpts=${String(d.fp).padStart(5)} raw=${d.raw.toFixed(3).padStart(8)} ` +
          `norm=${d.normalized === null ? "n/a" : d.normalized.toFixed(2)}`,
      );
    }
  }
  return lines.join("\n") + "\n";
}
