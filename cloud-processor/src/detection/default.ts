import type { DetectorFactory } from "./detector.ts";
import { ensembleFactory, LIGHT_PARAMS } from "./ensemble.ts";

/** The detector the processor runs for every (device, sensor) series. */
export const defaultDetector: DetectorFactory = ensembleFactory();

/** The lighter preset (see LIGHT_PARAMS) for series where cost matters more than accuracy. */
export const lightDetector: DetectorFactory = ensembleFactory(LIGHT_PARAMS, "fieldline-ensemble-light");
