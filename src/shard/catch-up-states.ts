/**
 * The states a durable catch-up's memory lost (see log-reader.ts), rebuilt
 * for a whole page's aggregates at once: one statement for their snapshots
 * and one for their events, instead of two for each aggregate. With 100,000
 * interleaved counters: 17 CPU µs per event against 37.
 */
import type { PatchOperation } from '../domain.js';
import type { JsonObject } from '../json.js';
import { REPLAY_PAGE, type AggregateLoader } from './aggregate-loader.js';
import type { ShardStore } from './shard-store.js';

/** Events `afterVersion < version <= toVersion` of an aggregate. */
type ReplayRequest = readonly [aggregateId: string, afterVersion: number, toVersion: number];

/**
 * The states at the versions of `wanted` (aggregate ID → version), as
 * `AggregateLoader.stateAt` gives them. Events are read `limit` at a time.
 */
export function statesAt(loader: AggregateLoader, store: ShardStore, wanted: ReadonlyMap<string, number>, limit = REPLAY_PAGE): Map<string, JsonObject | undefined> {
  const snapshots = store.snapshotsOf([...wanted.keys()]);
  const states = new Map<string, JsonObject | undefined>();
  let requests: ReplayRequest[] = [];
  for (const [aggregateId, version] of wanted) {
    const snapshot = loader.usableSnapshot(aggregateId, snapshots.get(aggregateId), version);
    states.set(aggregateId, snapshot?.state);
    if ((snapshot?.version ?? 0) < version) requests.push([aggregateId, snapshot?.version ?? 0, version]);
  }
  while (requests.length > 0) requests = replayRound(loader, store, requests, limit, states);
  return states;
}

/**
 * Applies up to `limit` of the requested events to `states` (private
 * copies, changed in place) and returns the requests the limit cut off,
 * from where they stopped.
 */
function replayRound(
  loader: AggregateLoader,
  store: ShardStore,
  requests: readonly ReplayRequest[],
  limit: number,
  states: Map<string, JsonObject | undefined>,
): ReplayRequest[] {
  const columns = store.replayMany(requests, limit);
  if (columns === undefined) {
    // Their patches are too large together for one page: each alone, in pages bounded in bytes.
    for (const [aggregateId, , to] of requests) states.set(aggregateId, loader.stateAt(aggregateId, to));
    return [];
  }
  const rows = JSON.parse(columns.requests) as number[];
  const versions = JSON.parse(columns.versions) as number[];
  const schemaVersions = JSON.parse(columns.schemaVersions) as number[];
  const patches = JSON.parse(columns.patches) as PatchOperation[][];
  // Names only matter to upcasters, which only older events meet.
  let names: string[] | undefined;
  for (let i = 0; i < rows.length; i++) {
    const [aggregateId] = requests[rows[i]!]!;
    const source = { aggregate_id: aggregateId, version: versions[i]!, name: '', schema_version: schemaVersions[i]! };
    if (source.schema_version !== loader.schemaVersion) source.name = (names ??= JSON.parse(columns.names) as string[])[i]!;
    states.set(aggregateId, loader.replayParsed(states.get(aggregateId), patches[i]!, source));
  }
  if (rows.length < limit) return [];
  // Requests are read in order: the last one read may be cut short, the ones after it not read at all.
  const last = rows[rows.length - 1]!;
  const [aggregateId, , to] = requests[last]!;
  const reached = versions[versions.length - 1]!;
  return [...(reached < to ? [[aggregateId, reached, to] as ReplayRequest] : []), ...requests.slice(last + 1)];
}
