/**
 * A Map bounded to `capacity` entries that drops the least recently set one.
 * The shard's state cache and the event wire's records of recent versions
 * are both one of these, and both set an entry for nearly every command;
 * a shard's stream numbers are one too.
 * Recency is a doubly linked list through the entries: setting a key that
 * is there relinks its entry and leaves the Map alone, and a full map reuses
 * the entry it drops for the key it adds. Deleting and re-inserting keys to
 * use the Map's own order cost 2.5× as much in a shard (order workload,
 * 60,000 commands: 69 against 27 ms of the worker's CPU profile).
 */
interface Entry<K, V> {
  key: K;
  value: V;
  older: Entry<K, V> | undefined;
  newer: Entry<K, V> | undefined;
}

export class LruMap<K, V> {
  #capacity: number;
  readonly #entries = new Map<K, Entry<K, V>>();
  #oldest: Entry<K, V> | undefined;
  #newest: Entry<K, V> | undefined;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  get capacity(): number {
    return this.#capacity;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The entry, leaving its recency alone. */
  peek(key: K): V | undefined {
    return this.#entries.get(key)?.value;
  }

  /** Makes `key` the most recent entry; past capacity, drops the least recent. */
  set(key: K, value: V): void {
    const known = this.#entries.get(key);
    if (known !== undefined) {
      known.value = value;
      if (known !== this.#newest) {
        this.#unlink(known);
        this.#append(known);
      }
      return;
    }
    if (this.#capacity < 1) return;
    let entry: Entry<K, V>;
    if (this.#entries.size >= this.#capacity) {
      entry = this.#oldest!;
      this.#unlink(entry);
      this.#entries.delete(entry.key);
      entry.key = key;
      entry.value = value;
    } else {
      entry = { key, value, older: undefined, newer: undefined };
    }
    this.#entries.set(key, entry);
    this.#append(entry);
  }

  /** Holds at most `capacity` entries from now on, dropping the least recent ones beyond it. */
  resize(capacity: number): void {
    this.#capacity = capacity;
    while (this.#entries.size > Math.max(capacity, 0)) {
      const oldest = this.#oldest!;
      this.#unlink(oldest);
      this.#entries.delete(oldest.key);
    }
  }

  delete(key: K): void {
    const entry = this.#entries.get(key);
    if (entry === undefined) return;
    this.#unlink(entry);
    this.#entries.delete(key);
  }

  clear(): void {
    this.#entries.clear();
    this.#oldest = undefined;
    this.#newest = undefined;
  }

  #unlink(entry: Entry<K, V>): void {
    if (entry.older === undefined) this.#oldest = entry.newer;
    else entry.older.newer = entry.newer;
    if (entry.newer === undefined) this.#newest = entry.older;
    else entry.newer.older = entry.older;
    entry.older = undefined;
    entry.newer = undefined;
  }

  #append(entry: Entry<K, V>): void {
    entry.older = this.#newest;
    if (this.#newest === undefined) this.#oldest = entry;
    else this.#newest.newer = entry;
    this.#newest = entry;
  }
}
