/**
 * Where a page of events must end so that the values SQLite builds for it
 * stay within a bound. A replay or log page is one row whose columns
 * concatenate its events' patches (and metadata): bounded by count alone, a
 * page of large events passes SQLite's length limit and every read of it
 * fails with SQLITE_TOOBIG, for good. Pages are still read by count first,
 * which costs nothing extra; only a page that fails, or comes back over the
 * bound, is measured (`octet_length` reads a value's size from its record
 * header, never its content: 0.07 ms for 30 values of 20 MB) and read again
 * up to its end.
 */

/** Bytes counted per event beside its values: a comma, and `null` for absent metadata. */
const PER_EVENT_BYTES = 8;

/** Bytes of a page's patches (and metadata) and the key of each event, in order, for up to the page's count. */
export type PageSizes = Iterable<readonly [key: number, bytes: number]>;

/** Whether SQLite refused to build a value past its length limit. */
export function isTooBig(thrown: unknown): boolean {
  return (thrown as { code?: unknown } | null)?.code === 'SQLITE_TOOBIG';
}

/**
 * The key (version or position) of the last event of a page whose events'
 * sizes, in order, add up to at most `maxBytes`; the first event always
 * belongs to it, since each event's row already fits SQLite's limit. `cut`
 * when events of `sizes` were left for later pages.
 */
export function pageEnd(sizes: PageSizes, maxBytes: number): { last: number; cut: boolean } {
  let last = 0;
  let total = 0;
  for (const [key, bytes] of sizes) {
    total += bytes + PER_EVENT_BYTES;
    // Leaving the loop ends the statement's iteration.
    if (total > maxBytes && last !== 0) return { last, cut: true };
    last = key;
  }
  return { last, cut: false };
}

/**
 * A page as `read` returns it for events up to the key `last`: read by
 * count alone, unless that fails with SQLITE_TOOBIG or comes back `tooLong`
 * for `maxBytes`; then read again up to the end its `sizes` give.
 */
export function boundedPage<T>(
  read: (last: number) => T,
  tooLong: (page: T) => boolean,
  sizes: () => PageSizes,
  maxBytes: number,
): { page: T; cut: boolean } {
  let page: T | undefined;
  try {
    page = read(Number.MAX_SAFE_INTEGER);
  } catch (thrown) {
    if (!isTooBig(thrown)) throw thrown;
  }
  if (page !== undefined && !tooLong(page)) return { page, cut: false };
  const end = pageEnd(sizes(), maxBytes);
  return { page: read(end.last), cut: end.cut };
}
