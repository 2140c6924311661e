/**
 * The two length limits one command's data meets on its way to the file,
 * with their figures on 64-bit Node 20:
 *
 * - V8's longest string, 536,870,888 (2^29 - 24) UTF-16 code units: a
 *   batch's commands cross to the shard as one JSON text (request-wire.ts),
 *   and a commit's events come back as one (event-wire.ts).
 * - The longest value, and row, SQLite stores: SQLite is compiled with
 *   SQLITE_MAX_LENGTH 1,000,000,000, but better-sqlite3 lowers
 *   SQLITE_LIMIT_LENGTH at open to the smallest of INT_MAX, Node's largest
 *   Buffer and V8's longest string, so that whatever it reads fits one
 *   string: 536,870,888 bytes of UTF-8, counted for the whole record of a
 *   row (SQLITE_TOOBIG past it).
 *
 * A payload and its metadata both at `maxPayloadBytes`' largest value
 * (256 MiB each) are together over both limits: 2 × 268,435,456 =
 * 536,870,912.
 */
import { constants } from 'node:buffer';

/** V8's longest string, in UTF-16 code units. */
export const MAX_STRING_LENGTH = constants.MAX_STRING_LENGTH;

/** SQLITE_LIMIT_LENGTH as better-sqlite3 sets it: the most bytes of one row's record. */
export const SQLITE_LENGTH_LIMIT = Math.min(1_000_000_000, 2 ** 31 - 1, constants.MAX_LENGTH, constants.MAX_STRING_LENGTH);

/**
 * Bytes of a row kept for what is not its text: a record's header and its
 * integer columns take under 200. The rest leaves room for the envelope of
 * the event's wire form, which carries about what its row does when the
 * event creates its aggregate (the patch then spells out the whole state,
 * beside the metadata): such an event that fits its row crosses back alone.
 */
export const ROW_RESERVE_BYTES = 64 * 1024;

/** The most bytes of text one stored row may hold. */
export const MAX_ROW_TEXT_BYTES = SQLITE_LENGTH_LIMIT - ROW_RESERVE_BYTES;

/** UTF-8 bytes of `texts` together. */
export function utf8Bytes(texts: ReadonlyArray<string | null>): number {
  let bytes = 0;
  for (const text of texts) bytes += text === null ? 0 : Buffer.byteLength(text);
  return bytes;
}
