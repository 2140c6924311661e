/**
 * Engine options: one type with each default documented, validated in one
 * place. A misspelt option is an error (with a suggestion), never ignored.
 */
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import type { ResourceLimits } from 'node:worker_threads';
import type { Domain } from './domain.js';
import { describeValue } from './describe-value.js';
import { ConfigError, InvalidArgumentError } from './errors.js';
import type { StoredEvent } from './event.js';
import { guardHook, guardLogger, hookFailureReporter } from './hook-guards.js';
import { isPlainObject } from './json.js';
import { isLogger, silentLogger, type Logger } from './logger.js';
import type { SynchronousMode } from './protocol.js';
import { MAX_SHARDS } from './router.js';
import { checkTimeout } from './timeouts.js';

/** Reported when a snapshot row cannot be parsed; the aggregate is replayed in full instead. */
export interface SnapshotCorruptReport {
  readonly shard: number;
  readonly aggregateId: string;
  readonly version: number;
  readonly reason: string;
}

export interface EngineOptions<D extends Domain<object, object>> {
  /**
   * The domain definition (see `defineDomain`), whose module every shard
   * worker imports. A path or URL of the domain module also works (its one
   * domain export is used), without compile-time types for `send`.
   */
  readonly domain: D | string | URL;
  /**
   * Directory holding the shard files and the manifest; created if missing.
   * `':memory:'` keeps every shard in memory (tests only: a restarted shard starts empty).
   * @default './asynx-data'
   */
  readonly dataDir?: string;
  /**
   * Number of shards (worker threads, one SQLite file each). Fixed for the life of a data directory.
   * @default os.availableParallelism()
   */
  readonly shards?: number;
  /**
   * SQLite `synchronous` mode. `'full'` fsyncs every commit, so an acknowledged event survives
   * power loss; `'normal'` survives a process crash but may lose the last commits on power loss.
   * @default 'full'
   */
  readonly synchronous?: SynchronousMode;
  /**
   * Commands and reads waiting per shard before `send` rejects `QueueFullError` (or waits, see `onFull`).
   * @default 10000
   */
  readonly queueDepth?: number;
  /** What `send` does when a shard's queue is full: reject at once, or wait for room. @default 'reject' */
  readonly onFull?: 'reject' | 'wait';
  /** Most operations a shard takes into one batch (one transaction). @default 1000 */
  readonly maxBatch?: number;
  /** Hydrated aggregates each shard keeps in memory (LRU). 0 disables the cache. @default 10000 */
  readonly cacheSize?: number;
  /**
   * Store a snapshot automatically every N versions of an aggregate (besides
   * commands that ask for one). 0 turns the policy off.
   * @default 0
   */
  readonly snapshotEvery?: number;
  /**
   * Unsettled subscriber deliveries above which shards hold their next batch
   * until subscribers have caught up to half of it (backpressure from slow subscribers).
   * @default 100000
   */
  readonly maxPendingDeliveries?: number;
  /** How often durable subscriptions save their checkpoints (also saved on close). @default 1000 */
  readonly checkpointIntervalMs?: number;
  /** Largest accepted payload, measured as its JSON text in UTF-8 bytes. @default 1048576 (1 MiB) */
  readonly maxPayloadBytes?: number;
  /**
   * Watchdog: a batch still running after this long (a command stuck in an
   * endless loop) has its worker stopped and restarted; its operations reject
   * `ShardCrashedError`.
   * @default 30000
   */
  readonly batchTimeoutMs?: number;
  /**
   * How long a shard worker may take to start and import the domain module,
   * at `open` and at each restart (opening the shard file after that is not
   * limited). Past it the worker is stopped: `open` rejects `ConfigError`,
   * and a restart marks the shard broken.
   * @default 30000
   */
  readonly importTimeoutMs?: number;
  /**
   * V8 heap limits for each shard worker (Node's `ResourceLimits` keys, each a positive number of MB);
   * a worker that exceeds them is restarted.
   * @default Node's defaults
   */
  readonly workerResourceLimits?: ResourceLimits;
  /**
   * A pino-compatible logger (`info`, `warn`, `error` taking `(fields, message)`):
   * engine start and close, shard crashes and restarts, handler failures.
   * Calls stay on the main thread; a method that throws is reported on
   * stderr and ignored. @default no logging
   */
  readonly logger?: Logger;
  /**
   * Called when a subscriber's handler throws, rejects or times out, after its fallback.
   * If it throws or rejects, that is logged to `logger` (or stderr) and delivery goes on.
   * @default logs the error to `logger`, or prints it to stderr when there is no logger
   */
  readonly onHandlerError?: (error: unknown, event: StoredEvent, subscription: string) => void;
  /**
   * Called when a snapshot cannot be read and the aggregate is replayed instead.
   * If it throws or rejects, that is logged to `logger` (or stderr) and the read goes on.
   * @default logs a warning to `logger`, or prints it to stderr
   */
  readonly onSnapshotCorrupt?: (report: SnapshotCorruptReport) => void;
}

export interface ResolvedOptions {
  readonly dataDir: string;
  readonly shards: number;
  readonly synchronous: SynchronousMode;
  readonly queueDepth: number;
  readonly onFull: 'reject' | 'wait';
  readonly maxBatch: number;
  readonly cacheSize: number;
  readonly snapshotEvery: number;
  readonly maxPayloadBytes: number;
  readonly maxPendingDeliveries: number;
  readonly checkpointIntervalMs: number;
  readonly batchTimeoutMs: number;
  readonly importTimeoutMs: number;
  readonly workerResourceLimits: ResourceLimits | undefined;
  readonly logger: Logger;
  readonly onHandlerError: (error: unknown, event: StoredEvent, subscription: string) => void;
  readonly onSnapshotCorrupt: (report: SnapshotCorruptReport) => void;
}

const KNOWN_OPTIONS = [
  'domain', 'dataDir', 'shards', 'synchronous', 'queueDepth', 'onFull', 'maxBatch', 'cacheSize', 'snapshotEvery',
  'maxPayloadBytes', 'maxPendingDeliveries', 'checkpointIntervalMs', 'batchTimeoutMs', 'importTimeoutMs', 'workerResourceLimits', 'logger', 'onHandlerError', 'onSnapshotCorrupt',
] as const;

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(above + 1, row[j - 1]! + 1, diagonal + (a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

/** The known name closest to `name`, when it is close enough to be a likely typo. */
export function closestName(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const distance = editDistance(name, candidate);
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

export function rejectUnknownKeys(
  given: object,
  known: readonly string[],
  what: string,
  ErrorClass: typeof ConfigError | typeof InvalidArgumentError = ConfigError,
): void {
  for (const key of Object.keys(given)) {
    if (known.includes(key)) continue;
    const suggestion = closestName(key, known);
    throw new ErrorClass(`unknown ${what} "${key}"${suggestion ? ` (did you mean "${suggestion}"?)` : ''}`, { option: key });
  }
}

function integerOption(options: Record<string, unknown>, name: string, fallback: number, min: number, max: number): number {
  const value = options[name];
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`option ${name} must be an integer from ${min} to ${max}, got ${describeValue(value)}`, { option: name });
  }
  return value;
}

/** A period of the engine's own (a watchdog, a save interval): finite, so not `Infinity`; see timeouts.ts. */
function timeoutOption(options: Record<string, unknown>, name: string, fallback: number, max: number): number {
  const value = options[name];
  if (value === undefined) return fallback;
  return checkTimeout(value, { option: name, what: `option ${name}`, min: 10, max, unlimited: false }, ConfigError);
}

function choiceOption<T extends string>(options: Record<string, unknown>, name: string, choices: readonly T[], fallback: T): T {
  const value = options[name];
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !(choices as readonly string[]).includes(value)) {
    throw new ConfigError(`option ${name} must be one of ${choices.map((c) => `'${c}'`).join(', ')}, got ${describeValue(value)}`, {
      option: name,
    });
  }
  return value as T;
}

function functionOption<F>(options: Record<string, unknown>, name: string, fallback: F): F {
  const value = options[name];
  if (value === undefined) return fallback;
  if (typeof value !== 'function') throw new ConfigError(`option ${name} must be a function, got ${describeValue(value)}`, { option: name });
  return value as F;
}

/** The keys of Node's `ResourceLimits`: another key would be ignored by the worker without a word. */
const RESOURCE_LIMITS = ['maxYoungGenerationSizeMb', 'maxOldGenerationSizeMb', 'codeRangeSizeMb', 'stackSizeMb'] as const;

function resourceLimitsOption(limits: unknown): ResourceLimits | undefined {
  if (limits === undefined) return undefined;
  if (!isPlainObject(limits)) {
    throw new ConfigError(`option workerResourceLimits must be an object, got ${describeValue(limits)}`, { option: 'workerResourceLimits' });
  }
  rejectUnknownKeys(limits, RESOURCE_LIMITS, 'workerResourceLimits key');
  for (const key of RESOURCE_LIMITS) {
    const value = limits[key];
    // A limit of 0 or less would not be refused by Node: the worker would die of it on its first allocation.
    if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)) {
      throw new ConfigError(`option workerResourceLimits.${key} must be a positive number of megabytes, got ${describeValue(value)}`, {
        option: `workerResourceLimits.${key}`,
      });
    }
  }
  return limits as ResourceLimits;
}

/**
 * Applies defaults and validates every option; throws `ConfigError` naming
 * the option and the value. Every line the engine logs names `aggregate`.
 */
export function resolveOptions(raw: unknown, aggregate: string): ResolvedOptions {
  if (typeof raw !== 'object' || raw === null) throw new ConfigError(`open() takes an options object, got ${describeValue(raw)}`);
  const options = raw as Record<string, unknown>;
  rejectUnknownKeys(options, KNOWN_OPTIONS, 'option');
  const dataDir = options.dataDir ?? './asynx-data';
  if (typeof dataDir !== 'string' || dataDir.length === 0) {
    throw new ConfigError(`option dataDir must be a directory path or ':memory:', got ${describeValue(dataDir)}`, { option: 'dataDir' });
  }
  const given = options.logger;
  if (given !== undefined && !isLogger(given)) {
    throw new ConfigError(`option logger must have info, warn and error methods (a pino-compatible logger), got ${describeValue(given)}`, {
      option: 'logger',
    });
  }
  const logger = given === undefined ? undefined : guardLogger(given, { aggregate });
  const reportHookFailure = hookFailureReporter(logger);
  return {
    dataDir: dataDir === ':memory:' ? dataDir : resolve(dataDir),
    shards: integerOption(options, 'shards', availableParallelism(), 1, MAX_SHARDS),
    synchronous: choiceOption(options, 'synchronous', ['full', 'normal'], 'full'),
    queueDepth: integerOption(options, 'queueDepth', 10_000, 1, 10_000_000),
    onFull: choiceOption(options, 'onFull', ['reject', 'wait'], 'reject'),
    maxBatch: integerOption(options, 'maxBatch', 1_000, 1, 100_000),
    cacheSize: integerOption(options, 'cacheSize', 10_000, 0, 100_000_000),
    snapshotEvery: integerOption(options, 'snapshotEvery', 0, 0, 1_000_000_000),
    maxPayloadBytes: integerOption(options, 'maxPayloadBytes', 1_048_576, 1, 256 * 1_048_576),
    maxPendingDeliveries: integerOption(options, 'maxPendingDeliveries', 100_000, 1, 100_000_000),
    checkpointIntervalMs: timeoutOption(options, 'checkpointIntervalMs', 1_000, 3_600_000),
    batchTimeoutMs: timeoutOption(options, 'batchTimeoutMs', 30_000, 86_400_000),
    importTimeoutMs: timeoutOption(options, 'importTimeoutMs', 30_000, 86_400_000),
    workerResourceLimits: resourceLimitsOption(options.workerResourceLimits),
    logger: logger ?? silentLogger,
    onHandlerError: guardHook(
      'onHandlerError',
      functionOption(options, 'onHandlerError', (error: unknown, event: StoredEvent, subscription: string) => {
        const message = `handler of subscription ${subscription} failed on ${event.name} v${event.version} of ${event.aggregateId}`;
        if (logger === undefined) console.error(`asynx: ${message}:`, error);
        else logger.error({ err: error, subscription, event: event.name, aggregateId: event.aggregateId, version: event.version }, message);
      }),
      (_error, event, subscription) => ({
        about: `the failure of subscription ${subscription} on ${event.name} v${event.version} of ${event.aggregateId}`,
        fields: { subscription, event: event.name, aggregateId: event.aggregateId, version: event.version },
      }),
      reportHookFailure,
    ),
    onSnapshotCorrupt: guardHook(
      'onSnapshotCorrupt',
      functionOption(options, 'onSnapshotCorrupt', (report: SnapshotCorruptReport) => {
        const message = `snapshot of ${report.aggregateId} (v${report.version}, shard ${report.shard}) is unreadable, replaying instead: ${report.reason}`;
        if (logger === undefined) console.warn(`asynx: ${message}`);
        else logger.warn({ ...report }, message);
      }),
      (report) => ({ about: `the unreadable snapshot of ${report.aggregateId} (v${report.version}, shard ${report.shard})`, fields: { ...report } }),
      reportHookFailure,
    ),
  };
}
