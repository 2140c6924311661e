/**
 * Reads a shard's log in position (commit) order with every event's state,
 * for durable subscriptions catching up. Consecutive pages usually continue
 * the same aggregates, so the last state of recently seen aggregates is kept
 * and the next event is one patch away instead of a replay.
 */
import type { StoredEvent } from '../event.js';
import type { JsonObject } from '../json.js';
import type { AggregateLoader } from './aggregate-loader.js';
import type { ShardStore } from './shard-store.js';
import { StateCache } from './state-cache.js';

export interface LogPage {
  readonly events: StoredEvent[];
  /** The shard's last committed position when the page was read. */
  readonly head: number;
}

/** Aggregates whose latest state the reader remembers between pages. */
const REMEMBERED_AGGREGATES = 10_000;

export class LogReader {
  readonly #store: ShardStore;
  readonly #loader: AggregateLoader;
  readonly #recent = new StateCache(REMEMBERED_AGGREGATES);

  constructor(store: ShardStore, loader: AggregateLoader) {
    this.#store = store;
    this.#loader = loader;
  }

  read(afterPosition: number, limit: number): LogPage {
    const events: StoredEvent[] = [];
    for (const row of this.#store.logAfter(afterPosition, limit)) {
      const known = this.#recent.get(row.aggregate_id);
      const previous: JsonObject | undefined =
        known !== undefined && known.version === row.version - 1 ? known.state : this.#loader.stateAt(row.aggregate_id, row.version - 1);
      const state = this.#loader.applyRow(previous, row);
      this.#recent.set(row.aggregate_id, { state, version: row.version });
      events.push(this.#loader.toEvent(row, state, previous));
    }
    return { events, head: this.#store.headPosition() };
  }

  /** Forgets remembered states, after an aggregate was erased. */
  forget(aggregateId: string): void {
    this.#recent.delete(aggregateId);
  }
}
