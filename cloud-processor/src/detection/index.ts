export { ALERT_THRESHOLD, defaultDetector, type Detector, type DetectorFactory, type DetectorState } from "./detector.ts";
export { EnsembleDetector, ensembleFactory, DEFAULT_PARAMS, LIGHT_PARAMS, type EnsembleParams } from "./ensemble.ts";
export { lightDetector } from "./default.ts";
export { runDetect, detectFile } from "./detect-cli.ts";
