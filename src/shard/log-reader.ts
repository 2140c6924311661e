/**
 * Reads a shard's log in position (commit) order with every event's state,
 * for durable subscriptions catching up. Consecutive pages usually continue
 * the same aggregates, so the last state of recently seen aggregates is kept
 * and the next event is one patch away instead of a replay. Pages leave in
 * their wire form (event-wire.ts): catch-up is the engine's hottest read.
 */
import { RecentVersions, STREAM_MEMORY, StateTexts, encodeLogColumns, firstEventsOf } from '../event-wire.js';
import type { PatchOperation } from '../domain.js';
import type { JsonObject } from '../json.js';
import type { EncodedPage } from '../protocol.js';
import type { AggregateLoader } from './aggregate-loader.js';
import { statesAt } from './catch-up-states.js';
import type { ShardStore } from './shard-store.js';
import type { CachedAggregate } from './state-cache.js';

/** Aggregates whose latest state the reader remembers between pages of reads outside a stream. */
const REMEMBERED_AGGREGATES = 10_000;
/** Catch-up streams followed at once; a stream beyond that just gets every previous state in full. */
const FOLLOWED_STREAMS = 16;
/**
 * What the records of the catch-up streams a shard follows may hold in all,
 * at each end, counted as the states' JSON length plus {@link ENTRY_BYTES}
 * per entry: bounded by bytes rather than entries, so small states are
 * remembered for many more interleaved aggregates (a counter's: about
 * 64,000) and large ones cannot take unbounded memory. An aggregate whose
 * state fell out is rebuilt from its events, scattered through the file:
 * catch-up over 20,000 interleaved counters took 52 CPU µs per event when
 * the memory held 10,000 of them, against 7 with all remembered.
 */
export const STREAM_MEMORY_BYTES = 16 * 1024 * 1024;
/** What an entry holds besides its state's JSON (key, links, wrapper): about 190 bytes of heap, measured with counters. */
const ENTRY_BYTES = 192;
/**
 * Characters of states (and previous states sent in full) after which a
 * log page ends, whatever its count: far below V8's longest string, which
 * 2,000 states of 270 KB would pass, and small enough that one page of
 * large states does not hold hundreds of MB at both ends at once. A page
 * always holds its first event; one event's states always fit a message
 * (event-length.ts).
 */
export const MAX_PAGE_STATES_LENGTH = 64 * 1024 * 1024;

/** Bounds of a reader, lowered only in tests. */
export interface LogReaderLimits {
  /** See {@link STREAM_MEMORY_BYTES}. */
  readonly memoryBytes?: number;
  /** See {@link MAX_PAGE_STATES_LENGTH}. */
  readonly maxPageStatesLength?: number;
}

/** States of a page's aggregates that the memory lost, at the versions `versions` names. */
interface Rebuilt {
  readonly versions: ReadonlyMap<string, number>;
  readonly states: ReadonlyMap<string, JsonObject | undefined>;
}

/** A catch-up stream's record (see event-wire.ts), with the size of its states. */
interface FollowedStream {
  readonly record: RecentVersions<CachedAggregate>;
  /** JSON bytes per state in the stream's last page, unknown before its first. */
  stateBytes: number | undefined;
}

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
  readonly #streams = new Map<number, FollowedStream>();
  readonly #memoryBytes: number;
  readonly #maxPageStatesLength: number;

  constructor(store: ShardStore, loader: AggregateLoader, shard: number, schemaVersion: number, limits: LogReaderLimits = {}) {
    this.#store = store;
    this.#loader = loader;
    this.#shard = shard;
    this.#schemaVersion = schemaVersion;
    this.#memoryBytes = limits.memoryBytes ?? STREAM_MEMORY_BYTES;
    this.#maxPageStatesLength = limits.maxPageStatesLength ?? MAX_PAGE_STATES_LENGTH;
  }

  /** Up to `limit` events after `afterPosition`, and the shard's last committed position. */
  read(afterPosition: number, limit: number, stream?: number): EncodedPage {
    const followed = stream === undefined ? undefined : this.#follow(stream);
    const receiver = followed?.record;
    const keep = followed === undefined ? undefined : this.#resize(followed);
    const memory = receiver ?? this.#recent;
    const page = this.#store.logPageAfter(afterPosition, limit);
    const patchesJson = page.patches;
    let { scalars, cut } = page;
    const aggregateIds = JSON.parse(scalars.aggregateIds) as string[];
    const versions = JSON.parse(scalars.versions) as number[];
    const schemaVersions = JSON.parse(scalars.schemaVersions) as number[];
    const patches = JSON.parse(patchesJson) as PatchOperation[][];
    let names: string[] | undefined;
    const rebuilt = this.#rebuildForgotten(aggregateIds, versions, memory);
    const states = new StateTexts();
    let count = aggregateIds.length;
    for (let i = 0; i < count; i++) {
      const aggregateId = aggregateIds[i]!;
      const version = versions[i]!;
      const schemaVersion = schemaVersions[i]!;
      const known = memory.get(aggregateId);
      const kept = known !== undefined && known.version === version - 1;
      const previous: JsonObject | undefined =
        version === 1 ? undefined : kept ? known.state : this.#rebuilt(rebuilt, aggregateId, version - 1);
      // Names are only needed by upcasters, so they are parsed only for older events.
      if (schemaVersion !== this.#schemaVersion) names ??= JSON.parse(scalars.names) as string[];
      const source = { aggregate_id: aggregateId, version, schema_version: schemaVersion, name: names?.[i] ?? '' };
      const state = this.#loader.applyParsed(previous, patches[i]!, source);
      // What the stream's record holds, its receiver holds too.
      states.push(state, previous, receiver !== undefined && previous !== undefined && kept);
      memory.record(aggregateId, { state, version });
      // Both ends record exactly the events sent, so the page can end here.
      if (states.length > this.#maxPageStatesLength && i + 1 < count) {
        count = i + 1;
        scalars = firstEventsOf(scalars, count);
        cut = true;
      }
    }
    const more = cut || count === limit;
    // The last page ends the catch-up: the receiver reads no further.
    if (stream !== undefined && !more) this.#streams.delete(stream);
    const positions = JSON.parse(scalars.positions) as number[];
    const { events, stateBytes } = encodeLogColumns(this.#shard, scalars, states, keep);
    if (followed !== undefined && count > 0) followed.stateBytes = stateBytes / count;
    return {
      events,
      head: this.#store.headPosition(),
      count: positions.length,
      last: positions[positions.length - 1] ?? afterPosition,
      more,
    };
  }

  #follow(stream: number): FollowedStream {
    let followed = this.#streams.get(stream);
    if (followed === undefined) {
      followed = { record: new RecentVersions(STREAM_MEMORY), stateBytes: undefined };
      this.#streams.set(stream, followed);
      if (this.#streams.size > FOLLOWED_STREAMS) this.#streams.delete(this.#streams.keys().next().value as number);
    }
    return followed;
  }

  /**
   * Sizes the stream's record for its next page to its share of the memory,
   * at the size of its last page's states, and returns that size (the
   * page's `keep`).
   */
  #resize(followed: FollowedStream): number {
    const { record, stateBytes } = followed;
    if (stateBytes !== undefined) record.resize(Math.floor(this.#memoryBytes / this.#streams.size / (stateBytes + ENTRY_BYTES)));
    return record.capacity;
  }

  /** The states before the first event in the page of each aggregate the memory lost, rebuilt all at once (catch-up-states.ts). */
  #rebuildForgotten(aggregateIds: readonly string[], versions: readonly number[], memory: RecentVersions<CachedAggregate>): Rebuilt {
    const wanted = new Map<string, number>();
    const seen = new Set<string>();
    for (let i = 0; i < aggregateIds.length; i++) {
      const aggregateId = aggregateIds[i]!;
      if (seen.has(aggregateId)) continue;
      seen.add(aggregateId);
      const version = versions[i]!;
      if (version > 1 && memory.get(aggregateId)?.version !== version - 1) wanted.set(aggregateId, version - 1);
    }
    return { versions: wanted, states: wanted.size === 0 ? new Map() : statesAt(this.#loader, this.#store, wanted) };
  }

  /** The state at `version` from `rebuilt`, else read alone (a page's record may drop what it held at the page's start). */
  #rebuilt(rebuilt: Rebuilt, aggregateId: string, version: number): JsonObject | undefined {
    return rebuilt.versions.get(aggregateId) === version ? rebuilt.states.get(aggregateId) : this.#loader.stateAt(aggregateId, version);
  }

  /** Forgets remembered states, after an aggregate was erased. */
  forget(aggregateId: string): void {
    this.#recent.forget(aggregateId);
  }
}
