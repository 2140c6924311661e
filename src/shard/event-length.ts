/**
 * Refusal of one command whose committed event could not cross back to the
 * main thread. A commit's events go back as one JSON text (event-wire.ts),
 * which carries each event's state and previous state in full: past V8's
 * longest string (size-limits.ts), writing it throws after the commit, and
 * the commands would be stored but reported failed. Checked before the
 * event joins the batch, such a command is refused alone, and a batch's
 * events too long together cross as several messages (`messageGroups`).
 *
 * Lengths are known without writing the states: patches only add, remove
 * and replace, each op's text holding the value it puts in, so a state's
 * text is no longer than its previous state's and the patch's together (a
 * new aggregate's patch spells out the whole state). Only a state whose
 * length is unknown (hydrated through upcasters) or near the limit is
 * written out to measure it.
 */
import { CommandFailedError } from '../errors.js';
import { MAX_STRING_LENGTH } from '../size-limits.js';
import type { NewEvent } from './store-rows.js';

/** Characters of a message kept for its column names and brackets. */
const MESSAGE_RESERVE = 64 * 1024;

/** The longest JSON text of committed events one message carries. */
export const MAX_MESSAGE_LENGTH = MAX_STRING_LENGTH - MESSAGE_RESERVE;

/** Characters an event takes in a message beside its states and metadata: its short strings, escaped at worst, its numbers and commas. */
function envelopeLength(row: NewEvent): number {
  return 6 * (row.eventId.length + row.aggregateId.length + row.name.length + row.occurredAt.length + (row.commandId?.length ?? 0)) + 64;
}

/** The length of `state`'s JSON text; past the longest string, more than any limit. */
export function measuredLength(state: object): number {
  try {
    return JSON.stringify(state).length;
  } catch (thrown) {
    if (thrown instanceof RangeError) return Number.POSITIVE_INFINITY;
    throw thrown;
  }
}

export interface EventLength {
  /** At least the event's length in a message of its own. */
  readonly message: number;
  /** At least the length of its state's JSON text. */
  readonly state: number;
}

/**
 * The event's length in a message, from what is known of its states'
 * lengths (`undefined`: unknown), measuring them when needed; or the
 * refusal when it would not fit one message of `maxLength`.
 */
export function eventLength(
  type: string,
  row: NewEvent,
  state: { readonly value: object; readonly textLength: number | undefined },
  previous: { readonly value: object; readonly textLength: number | undefined } | undefined,
  maxLength: number,
): EventLength | CommandFailedError {
  const beside = envelopeLength(row) + (row.metadata?.length ?? 0);
  let stateLength = state.textLength;
  let previousLength = previous === undefined ? 0 : previous.textLength;
  if (stateLength !== undefined && previousLength !== undefined && beside + stateLength + previousLength <= maxLength) {
    return { message: beside + stateLength + previousLength, state: stateLength };
  }
  stateLength = measuredLength(state.value);
  previousLength = previous === undefined ? 0 : measuredLength(previous.value);
  const message = beside + stateLength + previousLength;
  if (message <= maxLength) return { message, state: stateLength };
  const length = (n: number): string => (Number.isFinite(n) ? `${n}` : `over ${MAX_STRING_LENGTH}`);
  return new CommandFailedError(
    `${type} on ${row.aggregateId}: its event v${row.version} could not be sent back from the shard: its state (${length(stateLength)} characters of JSON) ` +
      `and previous state (${length(previousLength)}) are over the ${maxLength} one message of events may carry; nothing was written`,
    {
      type,
      aggregateId: row.aggregateId,
      version: row.version,
      stateLength: Number.isFinite(stateLength) ? stateLength : null,
      previousStateLength: Number.isFinite(previousLength) ? previousLength : null,
      maxMessageLength: maxLength,
    },
  );
}

/**
 * `items` in consecutive groups whose lengths add up to at most
 * `maxLength` (an item longer alone is a group of its own). Nearly every
 * batch is one group: then `items` itself, in an array.
 */
export function messageGroups<T>(items: readonly T[], lengthOf: (item: T) => number, maxLength: number): T[][] {
  let total = 0;
  for (const item of items) total += lengthOf(item);
  if (total <= maxLength) return [items as T[]];
  const groups: T[][] = [];
  let group: T[] = [];
  let length = 0;
  for (const item of items) {
    const itemLength = lengthOf(item);
    if (group.length > 0 && length + itemLength > maxLength) {
      groups.push(group);
      group = [];
      length = 0;
    }
    group.push(item);
    length += itemLength;
  }
  groups.push(group);
  return groups;
}
