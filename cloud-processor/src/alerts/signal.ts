import type { Severity } from "@fieldline/firmware-contracts";

/** What rules and detectors tell the alert lifecycle: a condition started or stopped holding. */
export interface AlertSignal {
  kind: "fire" | "clear";
  rule: string;
  site: string;
  device: string;
  /** Event time (ms). */
  t: number;
  severity: Severity;
  message?: string;
  value?: number;
  score?: number;
}
