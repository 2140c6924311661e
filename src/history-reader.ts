/**
 * `history()` as pages: each page is one operation in the shard's queue, and
 * carries the state before its first event so the shard never replays from
 * the start for later pages.
 */
import type { StoredEvent } from './event.js';
import type { HistoryRange } from './input-checks.js';
import type { JsonObject } from './json.js';
import { decodeEvents } from './event-wire.js';
import type { EncodedPage } from './protocol.js';
import type { ShardHandle } from './shard-handle.js';

/** Events per page. */
const HISTORY_PAGE = 500;

export async function* readHistory<S extends object>(shard: ShardHandle, aggregateId: string, range: HistoryRange): AsyncGenerator<StoredEvent<S>> {
  let from = range.from;
  let to = range.to;
  let base: JsonObject | undefined;
  while (from <= to) {
    const page = (await shard.enqueue({
      kind: 'history',
      aggregateId,
      from,
      to: Math.min(to, from + HISTORY_PAGE - 1),
      ...(base === undefined ? {} : { base }),
    })) as EncodedPage;
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
