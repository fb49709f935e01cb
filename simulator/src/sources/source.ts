/** A series' value source: asked for one value per sample, in increasing event time. */
export interface ValueSource {
  valueAt(t: number): number;
  /**
   * Sample times that this source dictates (a CSV replay with its original spacing), or
   * undefined to sample at the sensor's interval.
   */
  schedule?(start: number): Iterator<number>;
}
