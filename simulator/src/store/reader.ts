/**
 * Reading back what reached a database, for `verify`. Implementations: `registry.ts`.
 * Layout (agreed with cloud-processor's pipeline): measurement `telemetry`, tags `site`,
 * `device`, `sensor`, field `value` (non-finite values are stored as a `fault` field
 * instead), timestamps in ms.
 */

export interface StoredPoint {
  site?: string;
  device: string;
  sensor: string;
  /** Milliseconds since the Unix epoch. */
  t: number;
  /** undefined when the point has no `value` field (a stored sensor fault). */
  value: number | undefined;
}

export interface StoreQuery {
  /** Inclusive start and exclusive end, ms. */
  start: number;
  end: number;
}

export interface StoreReader {
  readonly name: string;
  read(q: StoreQuery): AsyncIterable<StoredPoint>;
}

/** Where telemetry lives in the store; the defaults match cloud-processor. */
export interface StoreLayout {
  measurement: string;
  field: string;
}

export const DEFAULT_LAYOUT: StoreLayout = { measurement: "telemetry", field: "value" };
