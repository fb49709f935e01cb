/**
 * The one threshold alerting uses: a point whose anomaly score is >= ALERT_THRESHOLD is a
 * detection. Fixed in code for every series (see cloud-processor/docs/detection.md).
 */
export const ALERT_THRESHOLD = 0.999;
