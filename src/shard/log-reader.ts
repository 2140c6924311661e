/**
 * Reads a shard's log in position (commit) order with every event's state,
 * for durable subscriptions catching up. Consecutive pages usually continue
 * the same aggregates, so the last state of recently seen aggregates is kept
 * and the next event is one patch away instead of a replay. Pages leave in
 * their wire form (event-wire.ts): catch-up is the engine's hottest read.
 */
import { RecentVersions, STREAM_MEMORY, StateColumn, encodeLogColumns } from '../event-wire.js';
import type { PatchOperation } from '../domain.js';
import type { JsonObject } from '../json.js';
import type { EncodedPage } from '../protocol.js';
import type { AggregateLoader } from './aggregate-loader.js';
import type { ShardStore } from './shard-store.js';
import type { CachedAggregate } from './state-cache.js';

/** Aggregates whose latest state the reader remembers between pages. */
const REMEMBERED_AGGREGATES = 10_000;
/** Catch-up streams followed at once; a stream beyond that just gets every previous state in full. */
const FOLLOWED_STREAMS = 16;

export class LogReader {
  readonly #store: ShardStore;
  readonly #loader: AggregateLoader;
  readonly #shard: number;
  readonly #schemaVersion: number;
  /**
   * Insertion-ordered, evicting the longest-unwritten entry: unlike the shard's
   * LRU cache, a read does not reorder it, which is a third of the cost of a
   * page. Any eviction order is correct, since an entry is used only when its
   * version is the one right before the row's.
   */
  readonly #recent = new Map<string, CachedAggregate>();
  /** Per catch-up stream, what its receiver kept from earlier pages (the same bookkeeping as the receiver's). */
  readonly #streams = new Map<number, RecentVersions<{ readonly version: number }>>();

  constructor(store: ShardStore, loader: AggregateLoader, shard: number, schemaVersion: number) {
    this.#store = store;
    this.#loader = loader;
    this.#shard = shard;
    this.#schemaVersion = schemaVersion;
  }

  /** Up to `limit` events after `afterPosition`, and the shard's last committed position. */
  read(afterPosition: number, limit: number, stream?: number): EncodedPage {
    const receiver = stream === undefined ? undefined : this.#follow(stream);
    const { scalars, patches: patchesJson } = this.#store.logPageAfter(afterPosition, limit);
    const aggregateIds = JSON.parse(scalars.aggregateIds) as string[];
    const versions = JSON.parse(scalars.versions) as number[];
    const schemaVersions = JSON.parse(scalars.schemaVersions) as number[];
    const patches = JSON.parse(patchesJson) as PatchOperation[][];
    let names: string[] | undefined;
    const states = new StateColumn();
    for (let i = 0; i < aggregateIds.length; i++) {
      const aggregateId = aggregateIds[i]!;
      const version = versions[i]!;
      const schemaVersion = schemaVersions[i]!;
      const known = this.#recent.get(aggregateId);
      const previous: JsonObject | undefined =
        version === 1
          ? undefined
          : known !== undefined && known.version === version - 1
            ? known.state
            : this.#loader.stateAt(aggregateId, version - 1);
      // Names are only needed by upcasters, so they are parsed only for older events.
      if (schemaVersion !== this.#schemaVersion) names ??= JSON.parse(scalars.names) as string[];
      const source = { aggregate_id: aggregateId, version, schema_version: schemaVersion, name: names?.[i] ?? '' };
      const state = this.#loader.applyParsed(previous, patches[i]!, source);
      this.#remember(aggregateId, { state, version });
      states.push(state, previous, previous !== undefined && receiver?.get(aggregateId)?.version === version - 1);
      receiver?.record(aggregateId, { version });
    }
    // A short page ends the catch-up: the receiver reads no further.
    if (stream !== undefined && aggregateIds.length < limit) this.#streams.delete(stream);
    return { events: encodeLogColumns(this.#shard, scalars, states), head: this.#store.headPosition() };
  }

  #follow(stream: number): RecentVersions<{ readonly version: number }> {
    let receiver = this.#streams.get(stream);
    if (receiver === undefined) {
      receiver = new RecentVersions(STREAM_MEMORY);
      this.#streams.set(stream, receiver);
      if (this.#streams.size > FOLLOWED_STREAMS) this.#streams.delete(this.#streams.keys().next().value as number);
    }
    return receiver;
  }

  #remember(aggregateId: string, entry: CachedAggregate): void {
    this.#recent.delete(aggregateId);
    this.#recent.set(aggregateId, entry);
    if (this.#recent.size > REMEMBERED_AGGREGATES) this.#recent.delete(this.#recent.keys().next().value as string);
  }

  /** Forgets remembered states, after an aggregate was erased. */
  forget(aggregateId: string): void {
    this.#recent.delete(aggregateId);
  }
}
