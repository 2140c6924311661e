/**
 * Everything one shard worker holds once started: its store, state cache,
 * loader and processor, and the port its committed events go out on.
 */
import type { MessagePort } from 'node:worker_threads';
import { shardFilePath } from '../data-dir.js';
import { importDomain } from '../domain-check.js';
import { ConfigError } from '../errors.js';
import { encodeEvents } from '../event-wire.js';
import type { StoredEvent } from '../event.js';
import type { CacheCounters, EncodedEvents, EncodedPage, HistoryPage, OpOutcome, PortMessage, ShardConfig, ShardOp } from '../protocol.js';
import { AggregateLoader } from './aggregate-loader.js';
import { CommandProcessor } from './command-processor.js';
import { ShardStore } from './shard-store.js';
import { StateCache } from './state-cache.js';

/**
 * A history page in its wire form. A page of large states can be longer
 * than V8's longest string: then it goes with its first half, again and
 * again, and the reader asks for the rest next (history-reader.ts goes on
 * from the last event it got). One event always fits: its command was
 * refused otherwise (see event-length.ts).
 */
export function encodeHistoryPage(page: HistoryPage, encode: (events: readonly StoredEvent[]) => EncodedEvents = encodeEvents): EncodedPage {
  let events = page.events;
  for (;;) {
    try {
      return { events: encode(events), latestVersion: page.latestVersion, firstPosition: page.firstPosition };
    } catch (thrown) {
      if (!(thrown instanceof RangeError) || events.length <= 1) throw thrown;
      events = events.slice(0, Math.ceil(events.length / 2));
    }
  }
}

/** Replaces the events of `history` pages by their wire form (log pages are read in it; see event-wire.ts). */
function encodePages(ops: readonly ShardOp[], outcomes: OpOutcome[]): void {
  for (let i = 0; i < ops.length; i++) {
    const outcome = outcomes[i];
    if (ops[i]!.kind !== 'history' || outcome?.kind !== 'value') continue;
    outcomes[i] = { kind: 'value', value: encodeHistoryPage(outcome.value as HistoryPage) };
  }
}

export class ShardRuntime {
  readonly config: ShardConfig;
  readonly #store: ShardStore;
  readonly #processor: CommandProcessor;
  readonly #events: MessagePort;
  readonly #cache: StateCache;

  private constructor(config: ShardConfig, store: ShardStore, cache: StateCache, processor: CommandProcessor, events: MessagePort) {
    this.config = config;
    this.#cache = cache;
    this.#store = store;
    this.#processor = processor;
    this.#events = events;
  }

  static async start(config: ShardConfig, events: MessagePort): Promise<ShardRuntime> {
    const domain = await importDomain(config.domainUrl, config.aggregate);
    const loaded: PortMessage = { kind: 'domain-loaded' };
    events.postMessage(loaded);
    if (domain.aggregate !== config.aggregate) {
      throw new ConfigError(`worker loaded aggregate ${domain.aggregate}, expected ${config.aggregate}`);
    }
    const store = new ShardStore({
      path: shardFilePath(config.dataDir, config.shard),
      synchronous: config.synchronous,
      shard: config.shard,
      shardCount: config.shardCount,
      hashScheme: config.hashScheme,
      streamCacheSize: config.cacheSize,
    });
    const cache = new StateCache(config.cacheSize);
    const loader = new AggregateLoader(store, cache, domain, config.shard, (report) => {
      const message: PortMessage = { kind: 'snapshot-corrupt', ...report };
      events.postMessage(message);
    });
    const processor = new CommandProcessor(store, loader, cache, domain, { shard: config.shard, snapshotEvery: config.snapshotEvery }, (failure) => {
      const message: PortMessage = { kind: 'seal-failed', ...failure };
      events.postMessage(message);
    });
    return new ShardRuntime(config, store, cache, processor, events);
  }

  runBatch(batchId: number, ops: readonly ShardOp[]): OpOutcome[] {
    const outcomes = this.#processor.run(ops, (events) => {
      const message: PortMessage = { kind: 'events', batchId, events: encodeEvents(events) };
      this.#events.postMessage(message);
    });
    encodePages(ops, outcomes);
    return outcomes;
  }

  /** The position of the shard's last committed event (erased ones included). */
  headPosition(): number {
    return this.#store.headPosition();
  }

  cacheCounters(): CacheCounters {
    return { hits: this.#cache.hits, misses: this.#cache.misses, size: this.#cache.size };
  }

  close(): void {
    this.#store.close();
    this.#events.close();
  }
}
