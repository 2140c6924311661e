/**
 * The states `asynx inspect` shows: replayed from `{}` through an
 * aggregate's stored patches as written, since the domain module (and so
 * its upcasters) is not loaded. Once an aggregate's shape changed between
 * schema versions, a newer patch may not apply to the older shape at all (a
 * field renamed into a nested object): from there on no state is shown,
 * instead of refusing to show the history. In an aggregate of one schema
 * version such a patch is damage, and is reported as such.
 */
import type { PatchOperation } from '../domain.js';
import { describeThrown } from '../errors.js';
import type { JsonObject } from '../json.js';
import { applyInPlace, mutableCopy } from '../shard/patching.js';
import type { EventRow } from '../shard/shard-store.js';
import { shown } from './terminal-text.js';

export interface RawReplay {
  /** The state after each row; `null` from the first patch that does not apply without upcasters on. */
  readonly states: Array<JsonObject | null>;
  /** Where replaying as written stopped, and why. */
  readonly stopped?: { readonly version: number; readonly reason: string };
}

/** Thrown for a patch that does not apply in an aggregate of one schema version. */
export class DamagedPatchError extends Error {}

export function replayAsWritten(aggregateId: string, rows: ReadonlyArray<Pick<EventRow, 'version' | 'schema_version' | 'patch'>>): RawReplay {
  const severalSchemas = rows.some((row) => row.schema_version !== rows[0]?.schema_version);
  const states: Array<JsonObject | null> = [];
  let state: JsonObject = {};
  let stopped: RawReplay['stopped'];
  for (const row of rows) {
    if (stopped !== undefined) {
      states.push(null);
      continue;
    }
    try {
      state = applyInPlace(state, JSON.parse(row.patch) as PatchOperation[]);
      // A copy per event: applying moves a patch's values into the state, which later patches change in place.
      states.push(mutableCopy(state));
    } catch (thrown) {
      const reason = describeThrown(thrown).message;
      if (!severalSchemas) throw new DamagedPatchError(`${shown(aggregateId)} v${row.version}: its stored patch does not apply to the state before it: ${reason}`);
      stopped = { version: row.version, reason };
      states.push(null);
    }
  }
  return stopped === undefined ? { states } : { states, stopped };
}
