/**
 * Routing: which shard owns an aggregate. The scheme is recorded in each data
 * directory's manifest, because changing it would send an aggregate's next
 * command to a shard that does not hold its history.
 */

/**
 * The hash scheme's name as written to the manifest: FNV-1a (32 bit) over the
 * ID's UTF-16 code units, then MurmurHash3's 32-bit finaliser so the low bits
 * used by the modulo spread well even for IDs that differ in one character.
 */
export const HASH_SCHEME = 'fnv1a32-utf16+fmix32';

/** The most shards an engine runs (and a data directory's manifest may name): one worker thread each. */
export const MAX_SHARDS = 256;

export function hashAggregateId(id: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    hash ^= id.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}

/** The shard (0-based) that owns `id` among `shardCount` shards. */
export function shardFor(id: string, shardCount: number): number {
  return hashAggregateId(id) % shardCount;
}
