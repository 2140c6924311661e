/**
 * Starting an engine: the domain checked against its module, the data
 * directory made, locked and checked against its manifest, then one handle
 * per shard, wired to the bus and the forget handlers, all started at once.
 * If any step fails, every shard is stopped, the lock released and the
 * first failure thrown.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { checkManifest, ensureDataDir, recordShardFilesCreated } from './data-dir.js';
import { DataDirLock } from './data-dir-lock.js';
import { assertDefinedAtUrl, assertDomain, importDomain } from './domain-check.js';
import type { Domain } from './domain.js';
import { describeValue } from './describe-value.js';
import { ConfigError } from './errors.js';
import { EventBus } from './event-bus.js';
import { ForgetHandlers } from './forget-handlers.js';
import type { ResolvedOptions } from './options.js';
import { HASH_SCHEME } from './router.js';
import type { ShardReport } from './protocol.js';
import { ShardHandle } from './shard-handle.js';

/** A domain module given as a URL, or as a file path relative to the working directory. */
export function domainModuleUrl(given: string | URL): string {
  if (given instanceof URL) return given.href;
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(given) ? given : pathToFileURL(resolve(given)).href;
}

/** The domain `open` was given: the object itself, or the one its module exports. */
export async function domainOf(options: unknown): Promise<Domain<object, object>> {
  if (typeof options !== 'object' || options === null) throw new ConfigError(`open() takes an options object, got ${describeValue(options)}`);
  const given = (options as { domain?: unknown }).domain;
  if (given === undefined) throw new ConfigError('option domain is required: pass the object returned by defineDomain()', { option: 'domain' });
  return typeof given === 'string' || given instanceof URL ? importDomain(domainModuleUrl(given)) : assertDomain(given, 'option domain');
}

export interface EngineParts {
  readonly shards: ShardHandle[];
  readonly bus: EventBus;
  readonly forgetHandlers: ForgetHandlers;
  readonly lock: DataDirLock;
}

export async function startEngine(domain: Domain<object, object>, resolved: ResolvedOptions): Promise<EngineParts> {
  await assertDefinedAtUrl(domain);
  ensureDataDir(resolved.dataDir);
  // Before the manifest: two engines opening a new directory at once must not both write it.
  const lock = DataDirLock.take(resolved.dataDir);
  try {
    const manifest = checkManifest(resolved.dataDir, { aggregate: domain.aggregate, shards: resolved.shards, hashScheme: HASH_SCHEME });
    const bus = new EventBus(resolved.onHandlerError, resolved.maxPendingDeliveries);
    const forgetHandlers = new ForgetHandlers(bus, resolved.onHandlerError);
    const shards = await startShards(domain, resolved, bus, forgetHandlers);
    recordShardFilesCreated(resolved.dataDir, manifest);
    return { shards, bus, forgetHandlers, lock };
  } catch (error) {
    lock.release();
    throw error;
  }
}

async function startShards(
  domain: Domain<object, object>,
  resolved: ResolvedOptions,
  bus: EventBus,
  forgetHandlers: ForgetHandlers,
): Promise<ShardHandle[]> {
  const shards = Array.from(
    { length: resolved.shards },
    (_, shard) =>
      new ShardHandle(
        shard,
        {
          shard,
          shardCount: resolved.shards,
          hashScheme: HASH_SCHEME,
          dataDir: resolved.dataDir,
          domainUrl: domain.url,
          aggregate: domain.aggregate,
          synchronous: resolved.synchronous,
          cacheSize: resolved.cacheSize,
          snapshotEvery: resolved.snapshotEvery,
        },
        resolved,
        {
          onEvents: (events) => bus.publish(events),
          onReport: (report) => reportFromShard(resolved, shard, report),
          onForget: (tombstone, erased) => forgetHandlers.deliver(tombstone, erased),
          backpressure: () => bus.backpressure(),
        },
      ),
  );
  const started = await Promise.allSettled(shards.map((s) => s.start()));
  const failure = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure !== undefined) {
    await Promise.allSettled(shards.map((s) => s.destroy()));
    throw failure.reason;
  }
  return shards;
}

/**
 * An unreadable snapshot goes to the `onSnapshotCorrupt` hook; a seal that
 * could not be written is a warning, since nothing failed for it.
 */
function reportFromShard(resolved: ResolvedOptions, shard: number, report: ShardReport): void {
  if (report.kind === 'snapshot-corrupt') {
    const { aggregateId, version, reason } = report;
    resolved.onSnapshotCorrupt({ shard, aggregateId, version, reason });
    return;
  }
  const { aggregateIds, reason, retried } = report;
  const next = retried ? "the aggregate's next read or command tries again" : 'it is not tried again, and the aggregate hydrates by replay';
  resolved.logger.warn(
    { shard, aggregateIds, reason },
    `shard ${shard} could not write the snapshot sealing ${aggregateIds.join(', ')} (${reason}); the operations of its batch went on without it, and ${next}`,
  );
}
