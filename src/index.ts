/** asynx-ts: the public API. Everything users import comes from here. */
export { Engine, open } from './engine.js';
export type { CloseOptions, HistoryOptions, SendOptions } from './call-options.js';
export type { EngineStats, ShardStats } from './engine-stats.js';
export { defineDomain, isDomain } from './domain.js';
export type {
  CommandDefinition,
  CommandDefinitions,
  CommandName,
  Domain,
  DomainSpec,
  PatchOperation,
  PayloadOf,
  StateOf,
  Upcaster,
} from './domain.js';
export type { StoredEvent } from './event.js';
export type { EngineOptions, SnapshotCorruptReport } from './options.js';
export type { LogMethod, Logger } from './logger.js';
export type { SubscribeOptions, SubscriberStats } from './event-bus.js';
export type { EventHandler, Fallback, HandlerContext } from './subscription.js';
export type { ListenOptions, WaitForOptions } from './listeners.js';
export type { DurableOptions } from './durable-registry.js';
export type { DurableStart } from './durable-subscription.js';
export type { EventPattern } from './event-pattern.js';
export type { JsonObject, JsonPrimitive, JsonValue } from './json.js';
export type { LatencySummary } from './shard-metrics.js';
export type { SynchronousMode } from './protocol.js';
export { HASH_SCHEME, hashAggregateId, shardFor } from './router.js';
export { MAX_AGGREGATE_ID_LENGTH, MAX_COMMAND_ID_LENGTH } from './input-checks.js';
export { MAX_JSON_DEPTH } from './json.js';
export {
  AbortError,
  AsynxError,
  CommandFailedError,
  ConfigError,
  HandlerTimeoutError,
  IdempotencyConflictError,
  InvalidArgumentError,
  NotFoundError,
  QueueFullError,
  ShardCrashedError,
  ShuttingDownError,
  StorageError,
  TimeoutError,
  UnknownCommandError,
  ValidationError,
  isAsynxError,
} from './errors.js';
export type { AsynxErrorName, ErrorDetails, Executed } from './errors.js';
