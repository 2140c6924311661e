/**
 * Starting an engine's shards: one handle per shard, wired to the bus and
 * the forget handlers, all started at once; if any fails to start, every
 * one is stopped and the first failure is thrown.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Domain } from './domain.js';
import type { EventBus } from './event-bus.js';
import type { ForgetHandlers } from './forget-handlers.js';
import type { ResolvedOptions } from './options.js';
import { HASH_SCHEME } from './router.js';
import { ShardHandle } from './shard-handle.js';

/** A domain module given as a URL, or as a file path relative to the working directory. */
export function domainModuleUrl(given: string | URL): string {
  if (given instanceof URL) return given.href;
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(given) ? given : pathToFileURL(resolve(given)).href;
}

export async function startShards(
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
          onSnapshotCorrupt: (report) => resolved.onSnapshotCorrupt({ shard, ...report }),
          onForget: (tombstone) => forgetHandlers.deliver(tombstone),
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
