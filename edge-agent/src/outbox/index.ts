export type { Outbox, OutboxKind, OutboxMessage, OutboxRecord, OutboxStats, AppendResult } from "./outbox";
export { SegmentOutbox, type SegmentOutboxOptions, type FsyncPolicy, type FullPolicy } from "./segment-outbox";
export { MAX_META } from "./record";
export { FallbackOutbox, type FallbackOutboxOptions, type StorageFault, type StorageState } from "./fallback-outbox";
