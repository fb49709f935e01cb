/** @fieldline/edge-agent: the device daemon. The CLI is src/cli.ts; this is its library face. */
export { Agent, AGENT_VERSION, type AgentDeps } from "./agent/agent";
export { configSchema, type AgentConfig, type BrokerConfig } from "./config/schema";
export { ConfigError, loadConfig, parseConfig } from "./config/load";
export { configDoc } from "./config/doc";
export { SegmentOutbox, type Outbox, type OutboxMessage, type OutboxRecord, type OutboxStats } from "./outbox";
export { commandHandlers, runCommand } from "./agent/commands";
export type { ReadingSource, SourceReading, SourceSink } from "./inputs/source";
export type { GpioChip, OutputLine } from "./gpio/chip";
