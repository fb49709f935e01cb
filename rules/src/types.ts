/** One sensor value at one event time, as the evaluator consumes it. */
export interface Reading {
  device: string;
  sensor: string;
  /** Event time, integer milliseconds since the epoch (or any monotonic origin). */
  t: number;
  value: number;
  /** Boot id of the device when it took the reading, if known: a new one starts a new epoch
   *  of the device's event time (see `Evaluator.reboot`). */
  boot?: string;
}

/** What the evaluator may know about a device, used to resolve rule scopes by label. */
export interface DeviceInfo {
  id: string;
  labels?: Record<string, string>;
}

export type Severity = "info" | "warning" | "critical";

export type Action =
  | { type: "alert" }
  /** Drive a GPIO line; a latched shutoff stays until a command clears it. */
  | { type: "gpio"; line: string | number; value: 0 | 1; latch: boolean }
  | { type: "command"; name: string; args?: Record<string, unknown> };

export interface Transition {
  rule: string;
  device: string;
  kind: "fired" | "cleared";
  /** Event time at which the transition happened (not the time it was emitted). */
  t: number;
  severity: Severity;
  actions: Action[];
  /** The readings that caused it (empty for a device never heard from). */
  cause: Reading[];
  message?: string;
}

/** A comparison with its raise and clear levels (hysteresis when they differ). */
export type Comparator =
  | { op: "above"; level: number; clear: number }
  | { op: "below"; level: number; clear: number }
  | { op: "outside"; level: [number, number]; clear: [number, number] }
  | { op: "inside"; level: [number, number]; clear: [number, number] };

/** A compiled condition: plain data, JSON-serialisable. Times are in milliseconds. */
export type Condition =
  | { kind: "threshold"; sensor: string; cmp: Comparator }
  | { kind: "rate"; sensor: string; windowMs: number; perMs: number; cmp: Comparator }
  | { kind: "stale"; sensor?: string; afterMs: number }
  | { kind: "deadband"; sensor: string; band: number }
  | { kind: "all"; of: Condition[] }
  | { kind: "any"; of: Condition[] }
  | { kind: "not"; of: Condition };

export interface Scope {
  /** Device ids or globs (`*` any run of characters, `?` one character); absent = every device. */
  devices?: string[];
  /** Every label listed must be equal on the device. */
  labels?: Record<string, string>;
}

export interface Rule {
  id: string;
  description?: string;
  enabled: boolean;
  scope: Scope;
  severity: Severity;
  when: Condition;
  /** The condition must hold this long before the rule fires. */
  forMs: number;
  /** The condition must be false this long before the rule clears. */
  clearForMs: number;
  actions: Action[];
  /** Actions sent with a `cleared` transition (derived from `actions` unless given). */
  clearActions: Action[];
  message?: string;
  /** Position in the source, for error messages and tooling. */
  source?: { file?: string; line: number; column: number };
}

export interface RuleSet {
  file?: string;
  rules: Rule[];
}
