/**
 * Refusals of one command whose rows SQLite could not store, and the check
 * that leaves out a snapshot too large for its row. A row past
 * SQLite's length limit (see size-limits.ts) fails the whole transaction
 * with SQLITE_TOOBIG, so every command of the batch would fail at commit;
 * checked before the event joins the batch, only that command is refused.
 * The event's row holds the patch and the metadata (the payload is stored
 * only as its digest); a snapshot's row holds the whole state.
 */
import { CommandFailedError } from '../errors.js';
import { MAX_STRING_LENGTH, utf8Bytes } from '../size-limits.js';
import type { NewEvent, NewSnapshot } from './store-rows.js';

/** The refusal when the event's row would hold more than `maxBytes` of text. */
export function oversizedEvent(type: string, row: NewEvent, maxBytes: number): CommandFailedError | undefined {
  const { eventId, aggregateId, name, occurredAt, patch, commandId, commandHash, metadata } = row;
  const units =
    eventId.length + aggregateId.length + name.length + occurredAt.length + patch.length +
    (commandId?.length ?? 0) + (commandHash?.length ?? 0) + (metadata?.length ?? 0);
  // A UTF-16 code unit is at most 3 bytes of UTF-8: nearly every row needs no count.
  if (units * 3 <= maxBytes) return undefined;
  const bytes = utf8Bytes([eventId, aggregateId, name, occurredAt, patch, commandId, commandHash, metadata]);
  if (bytes <= maxBytes) return undefined;
  const patchBytes = Buffer.byteLength(patch);
  const metadataBytes = metadata === null ? 0 : Buffer.byteLength(metadata);
  return new CommandFailedError(
    `${type} on ${aggregateId}: its event v${row.version} would be a row of ${bytes} bytes of text (patch ${patchBytes}, metadata ${metadataBytes}), ` +
      `over the ${maxBytes} one stored row may hold; nothing was written`,
    { type, aggregateId, version: row.version, rowBytes: bytes, patchBytes, metadataBytes, maxRowTextBytes: maxBytes },
  );
}

/** The bytes of text of the snapshot's row when they are more than `maxBytes`; `undefined` when it fits. */
export function oversizedSnapshotBytes(snapshot: NewSnapshot, maxBytes: number): number | undefined {
  const { aggregateId, state } = snapshot;
  if ((aggregateId.length + state.length) * 3 <= maxBytes) return undefined;
  const bytes = utf8Bytes([aggregateId, state]);
  return bytes <= maxBytes ? undefined : bytes;
}

/**
 * The refusal when the state's patch or snapshot cannot even be written as
 * one string (V8 throws `RangeError: Invalid string length`).
 */
export function tooLongForString(type: string, aggregateId: string, version: number, thrown: RangeError): CommandFailedError {
  return new CommandFailedError(
    `${type} on ${aggregateId}: emit returned a state whose event v${version} cannot be written as JSON ` +
      `(${thrown.message}: a string holds at most ${MAX_STRING_LENGTH} characters); nothing was written`,
    { type, aggregateId, version, cause: thrown.message },
  );
}
