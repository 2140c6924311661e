/**
 * The checks `asynx inspect` makes on a data directory's manifest before
 * trusting it: a shard count outside what an engine runs (a hand-edited
 * `"shards": 1e9`) would have it open a billion shard files, and a field of
 * the wrong type would print or route by garbage.
 */
import { isPlainObject } from '../json.js';
import { MAX_SHARDS } from '../router.js';
import { safeJson } from './terminal-text.js';

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return safeJson(value);
  if (typeof value === 'object') return Array.isArray(value) ? 'an array' : 'an object';
  return String(value);
}

/** Why `value` is not a usable manifest (each problem named), or `undefined` when it is one. */
export function manifestProblems(value: unknown): string | undefined {
  if (!isPlainObject(value)) return `it must be a JSON object, got ${describe(value)}`;
  const { aggregate, shards, hashScheme, format, createdAt } = value;
  if (aggregate === undefined || shards === undefined || hashScheme === undefined) return 'it needs aggregate, shards and hashScheme';
  const problems: string[] = [];
  if (typeof aggregate !== 'string' || aggregate.length === 0) problems.push(`aggregate must be a non-empty string, got ${describe(aggregate)}`);
  if (typeof shards !== 'number' || !Number.isInteger(shards) || shards < 1 || shards > MAX_SHARDS) {
    problems.push(`shards must be an integer from 1 to ${MAX_SHARDS}, got ${describe(shards)}`);
  }
  if (typeof hashScheme !== 'string' || hashScheme.length === 0) problems.push(`hashScheme must be a non-empty string, got ${describe(hashScheme)}`);
  if (format !== undefined && (typeof format !== 'number' || !Number.isInteger(format) || format < 1)) {
    problems.push(`format must be an integer from 1, got ${describe(format)}`);
  }
  if (createdAt !== undefined && typeof createdAt !== 'string') problems.push(`createdAt must be a string, got ${describe(createdAt)}`);
  return problems.length === 0 ? undefined : problems.join('; ');
}
