/**
 * A bounded least-recently-used map of hydrated aggregates, so a hot
 * aggregate is not replayed for every command. Holds committed state only.
 */
import type { JsonObject } from '../json.js';
import { LruMap } from '../lru-map.js';

export interface CachedAggregate {
  /** Frozen state at `version`. */
  readonly state: JsonObject;
  readonly version: number;
  /**
   * Hydrated without the stored snapshot's help where it should have helped:
   * events were upcast, or the snapshot was of an older schema or could not
   * be read. The next commit writes a fresh snapshot (seals the aggregate),
   * so a migration is paid, and a corrupt snapshot reported, once.
   */
  readonly staleSnapshot?: true;
  /**
   * At least the length of `state`'s JSON text, in UTF-16 code units, when
   * known without writing it (see event-length.ts); `undefined` otherwise.
   */
  readonly textLength?: number | undefined;
}

export class StateCache {
  readonly #entries: LruMap<string, CachedAggregate>;
  hits = 0;
  misses = 0;

  constructor(capacity: number) {
    this.#entries = new LruMap(capacity);
  }

  get capacity(): number {
    return this.#entries.capacity;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The entry, which becomes the most recently used. */
  get(aggregateId: string): CachedAggregate | undefined {
    const entry = this.#entries.peek(aggregateId);
    if (entry === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.#entries.set(aggregateId, entry);
    return entry;
  }

  /** Whether the aggregate is cached, without counting a hit or a miss or changing its recency. */
  has(aggregateId: string): boolean {
    return this.#entries.peek(aggregateId) !== undefined;
  }

  set(aggregateId: string, entry: CachedAggregate): void {
    if (this.capacity === 0) return;
    this.#entries.set(aggregateId, entry);
  }

  delete(aggregateId: string): void {
    this.#entries.delete(aggregateId);
  }

  clear(): void {
    this.#entries.clear();
  }
}
