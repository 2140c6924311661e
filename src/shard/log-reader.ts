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
   * The latest state of recently read aggregates, for reads outside a stream.
   * Any eviction order is correct, since an entry is used only when its
   * version is the one right before the row's.
   */
  readonly #recent = new RecentVersions<CachedAggregate>(REMEMBERED_AGGREGATES);
  /**
   * Per catch-up stream, the same record as its receiver keeps (see
   * event-wire.ts), with the states: it is also that stream's memory of
   * recent states, so one record is kept per event instead of two.
   */
  readonly #streams = new Map<number, RecentVersions<CachedAggregate>>();

  constructor(store: ShardStore, loader: AggregateLoader, shard: number, schemaVersion: number) {
    this.#store = store;
    this.#loader = loader;
    this.#shard = shard;
    this.#schemaVersion = schemaVersion;
  }

  /** Up to `limit` events after `afterPosition`, and the shard's last committed position. */
  read(afterPosition: number, limit: number, stream?: number): EncodedPage {
    const receiver = stream === undefined ? undefined : this.#follow(stream);
    const memory = receiver ?? this.#recent;
    const { scalars, patches: patchesJson, cut } = this.#store.logPageAfter(afterPosition, limit);
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
      const known = memory.get(aggregateId);
      const kept = known !== undefined && known.version === version - 1;
      const previous: JsonObject | undefined =
        version === 1 ? undefined : kept ? known.state : this.#loader.stateAt(aggregateId, version - 1);
      // Names are only needed by upcasters, so they are parsed only for older events.
      if (schemaVersion !== this.#schemaVersion) names ??= JSON.parse(scalars.names) as string[];
      const source = { aggregate_id: aggregateId, version, schema_version: schemaVersion, name: names?.[i] ?? '' };
      const state = this.#loader.applyParsed(previous, patches[i]!, source);
      // What the stream's record holds, its receiver holds too.
      states.push(state, previous, receiver !== undefined && previous !== undefined && kept);
      memory.record(aggregateId, { state, version });
    }
    const more = cut || aggregateIds.length === limit;
    // The last page ends the catch-up: the receiver reads no further.
    if (stream !== undefined && !more) this.#streams.delete(stream);
    const positions = JSON.parse(scalars.positions) as number[];
    return {
      events: encodeLogColumns(this.#shard, scalars, states),
      head: this.#store.headPosition(),
      count: positions.length,
      last: positions[positions.length - 1] ?? afterPosition,
      more,
    };
  }

  #follow(stream: number): RecentVersions<CachedAggregate> {
    let receiver = this.#streams.get(stream);
    if (receiver === undefined) {
      receiver = new RecentVersions(STREAM_MEMORY);
      this.#streams.set(stream, receiver);
      if (this.#streams.size > FOLLOWED_STREAMS) this.#streams.delete(this.#streams.keys().next().value as number);
    }
    return receiver;
  }

  /** Forgets remembered states, after an aggregate was erased. */
  forget(aggregateId: string): void {
    this.#recent.forget(aggregateId);
  }
}
