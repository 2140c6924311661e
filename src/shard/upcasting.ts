/**
 * Stored patches of older schema versions, brought to the domain's through
 * its upcasters on the way in; a patch stored by a newer schema version is
 * refused.
 */
import type { Domain, PatchOperation } from '../domain.js';
import { CommandFailedError, ConfigError, describeThrown } from '../errors.js';
import { NotJsonError, toJson } from '../json.js';
import { isPromise } from './decide.js';
import { NotAPatchError, patchShapeProblem } from './patch-shape.js';
import type { PatchRow } from './store-rows.js';

/** What upcasting a stored patch needs to know about its event. */
export type UpcastSource = Pick<PatchRow, 'aggregate_id' | 'version' | 'name' | 'schema_version'>;

/** The stored patch of `row`, upcast from its schema version to the domain's. */
export function upcastPatch(domain: Domain<object, object>, stored: PatchOperation[], row: UpcastSource): PatchOperation[] {
  if (row.schema_version > domain.schemaVersion) throw newerSchema(domain, row);
  let patch = stored;
  for (let from = row.schema_version; from < domain.schemaVersion; from++) {
    const upcast = domain.upcasters[from];
    if (upcast === undefined) continue;
    try {
      // A copy, checked as JSON (its values become state, which crosses to the main thread):
      // replay changes the values it puts in a state in place, and the upcaster may hand out
      // the same object on every call (a module's default), which would carry one
      // aggregate's changes into the next.
      const rewritten = upcast(patch, row.name);
      if (isPromise(rewritten)) throw new Error('it returned a promise; an upcaster must return the rewritten patch synchronously');
      const returned = toJson(rewritten, 'its patch');
      const problem = patchShapeProblem(returned);
      if (problem !== undefined) throw new NotAPatchError(problem);
      patch = returned as unknown as PatchOperation[];
    } catch (thrown) {
      const { message, stack } = describeThrown(thrown);
      const rule = thrown instanceof NotJsonError ? '; patches must be JSON data' : thrown instanceof NotAPatchError ? '; an upcaster must return an RFC 6902 patch, an array of operations' : '';
      throw new CommandFailedError(
        `upcaster from schema version ${from} failed on ${row.name} v${row.version} of ${row.aggregate_id}: ${message}${rule}`,
        { aggregateId: row.aggregate_id, version: row.version, cause: message, causeStack: stack ?? null },
      );
    }
  }
  return patch;
}

/**
 * An older domain must not read what a newer one stored: its shape would be
 * read as the old one (and a snapshot in the old shape written over it).
 */
function newerSchema(domain: Domain<object, object>, row: UpcastSource): ConfigError {
  const { schemaVersion, aggregate } = domain;
  return new ConfigError(
    `${aggregate} ${row.aggregate_id} v${row.version} (${row.name}) was stored by schema version ${row.schema_version}, but this domain is at schema version ${schemaVersion}: open the data directory with a domain at schema version ${row.schema_version} or later`,
    { aggregateId: row.aggregate_id, version: row.version, storedSchemaVersion: row.schema_version, schemaVersion },
  );
}
