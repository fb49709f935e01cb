export { Processor, type ProcessorDeps } from "./processor.ts";
export { configSchema, parseConfig, loadConfig, ConfigError, type Config, type SinkConfig } from "./config.ts";
export type { Sink, Point } from "./sinks/sink.ts";
export { SinkError } from "./sinks/sink.ts";
export { sinkRegistry, createSink } from "./sinks/registry.ts";
export { SinkWriter } from "./sinks/writer.ts";
export { Deduper, type DedupeVerdict } from "./ingest/dedupe.ts";
export { AlertManager } from "./alerts/manager.ts";
export { Metrics } from "./metrics.ts";
