/**
 * `history()` as pages: each page is one operation in the shard's queue, and
 * carries the state before its first event so the shard never replays from
 * the start for later pages.
 */
import type { StoredEvent } from './event.js';
import { NotFoundError } from './errors.js';
import type { HistoryRange } from './input-checks.js';
import type { JsonObject } from './json.js';
import { decodeEvents } from './event-wire.js';
import type { EncodedPage } from './protocol.js';
import type { ShardHandle } from './shard-handle.js';

/** Events per page. */
const HISTORY_PAGE = 500;

export async function* readHistory<S extends object>(
  shard: ShardHandle,
  aggregate: string,
  aggregateId: string,
  range: HistoryRange,
): AsyncGenerator<StoredEvent<S>> {
  let from = range.from;
  let to = range.to;
  let base: JsonObject | undefined;
  let firstPosition: number | undefined;
  while (from <= to) {
    const page = (await shard.enqueue({
      kind: 'history',
      aggregateId,
      from,
      to: Math.min(to, from + HISTORY_PAGE - 1),
      ...(base === undefined ? {} : { base, firstPosition }),
    })) as EncodedPage;
    // Events already yielded belong to the aggregate as it was: ending here would pass a
    // part of an erased history for the whole, and going on would splice two histories.
    if (firstPosition !== undefined && page.firstPosition !== firstPosition) throw forgottenWhileRead(aggregate, aggregateId, from - 1);
    firstPosition = page.firstPosition;
    const events = decodeEvents(page.events);
    // Pin the end on the first page, so a busy stream still ends.
    to = Math.min(to, page.latestVersion ?? 0);
    if (events.length === 0) return;
    for (const event of events) yield event as unknown as StoredEvent<S>;
    const last = events[events.length - 1]!;
    base = last.state;
    from = last.version + 1;
  }
}

function forgottenWhileRead(aggregate: string, aggregateId: string, lastRead: number): NotFoundError {
  return new NotFoundError(
    `${aggregate} ${aggregateId} was forgotten while its history was read (after v${lastRead}): the events read so far are of the erased aggregate`,
    { aggregateId, version: lastRead, forgotten: true },
  );
}
