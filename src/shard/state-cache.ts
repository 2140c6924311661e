/**
 * A bounded least-recently-used map of hydrated aggregates, so a hot
 * aggregate is not replayed for every command. Holds committed state only.
 */
import type { JsonObject } from '../json.js';

export interface CachedAggregate {
  /** Frozen state at `version`. */
  readonly state: JsonObject;
  readonly version: number;
  /**
   * Hydrated by upcasting older events or past an older-schema snapshot: the
   * next commit writes a fresh snapshot so the migration is paid once.
   */
  readonly migrated?: true;
}

export class StateCache {
  readonly capacity: number;
  #entries = new Map<string, CachedAggregate>();
  hits = 0;
  misses = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  get size(): number {
    return this.#entries.size;
  }

  get(aggregateId: string): CachedAggregate | undefined {
    const entry = this.#entries.get(aggregateId);
    if (entry === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    // Re-insert so that Map iteration order is least recently used first.
    this.#entries.delete(aggregateId);
    this.#entries.set(aggregateId, entry);
    return entry;
  }

  set(aggregateId: string, entry: CachedAggregate): void {
    if (this.capacity === 0) return;
    this.#entries.delete(aggregateId);
    this.#entries.set(aggregateId, entry);
    if (this.#entries.size > this.capacity) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
    }
  }

  delete(aggregateId: string): void {
    this.#entries.delete(aggregateId);
  }

  clear(): void {
    this.#entries.clear();
  }
}
