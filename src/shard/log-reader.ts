/**
 * Reads a shard's log in position (commit) order with every event's state,
 * for durable subscriptions catching up. Consecutive pages usually continue
 * the same aggregates, so the last state of recently seen aggregates is kept
 * and the next event is one patch away instead of a replay. Pages leave in
 * their wire form (event-wire.ts): catch-up is the engine's hottest read.
 */
import { StateColumn, encodeLogColumns } from '../event-wire.js';
import type { JsonObject } from '../json.js';
import type { EncodedPage } from '../protocol.js';
import type { AggregateLoader } from './aggregate-loader.js';
import type { ShardStore } from './shard-store.js';
import type { CachedAggregate } from './state-cache.js';

/** Aggregates whose latest state the reader remembers between pages. */
const REMEMBERED_AGGREGATES = 10_000;

export class LogReader {
  readonly #store: ShardStore;
  readonly #loader: AggregateLoader;
  readonly #shard: number;
  /**
   * Insertion-ordered, evicting the longest-unwritten entry: unlike the shard's
   * LRU cache, a read does not reorder it, which is a third of the cost of a
   * page. Any eviction order is correct, since an entry is used only when its
   * version is the one right before the row's.
   */
  readonly #recent = new Map<string, CachedAggregate>();

  constructor(store: ShardStore, loader: AggregateLoader, shard: number) {
    this.#store = store;
    this.#loader = loader;
    this.#shard = shard;
  }

  /** Up to `limit` events after `afterPosition`, and the shard's last committed position. */
  read(afterPosition: number, limit: number): EncodedPage {
    const rows = this.#store.logAfter(afterPosition, limit);
    const scalars = this.#store.logColumnsAfter(afterPosition, limit);
    const states = new StateColumn();
    const positions: number[] = [];
    for (const row of rows) {
      const known = this.#recent.get(row.aggregate_id);
      const previous: JsonObject | undefined =
        row.version === 1
          ? undefined
          : known !== undefined && known.version === row.version - 1
            ? known.state
            : this.#loader.stateAt(row.aggregate_id, row.version - 1);
      const state = this.#loader.applyRow(previous, row);
      this.#remember(row.aggregate_id, { state, version: row.version });
      states.push(state, previous);
      positions.push(row.position);
    }
    // Both reads run in this thread with no commit between them; this guards the column order SQLite was relied on for.
    if (JSON.stringify(positions) !== scalars.positions) {
      throw new Error(`shard ${this.#shard}: the log's columns after position ${afterPosition} did not line up with its rows`);
    }
    return { events: encodeLogColumns(this.#shard, scalars, states), head: this.#store.headPosition() };
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
