/**
 * Committed events as they cross between a shard worker and the main thread.
 *
 * Structured clone rebuilds every event object field by field through V8's
 * generic deserialiser, which measured about 3.5 µs per event on the main
 * thread, the engine's busiest. Here a page of events travels as one JSON
 * string of columns: it crosses as one copy, and `JSON.parse` plus one object
 * literal per event rebuilds it in a fraction of that time. A state that is
 * also an earlier event's state in the same page (the previous state of an
 * aggregate's next event) is written once and shared again on arrival. Log
 * pages for catch-up take their scalar columns straight from SQLite as JSON
 * arrays (see ShardStore.logColumnsAfter), so only the states are written
 * by JavaScript.
 */
import type { StoredEvent } from './event.js';
import { LruMap } from './lru-map.js';
import type { JsonObject } from './json.js';
import type { EncodedEvents } from './protocol.js';

/** The JSON shape of {@link EncodedEvents}: one array per field, one item per event. */
interface EventColumns {
  readonly shard: number;
  readonly ids: string[];
  readonly aggregateIds: string[];
  readonly names: string[];
  readonly versions: number[];
  /** One value for all when every event has the same (see {@link uniformOrEach}). */
  readonly schemaVersions: number | number[];
  readonly occurredAt: string | string[];
  readonly positions: number[];
  /** `null` (the whole column) when no event has one. */
  readonly commandIds: Array<string | null> | null;
  readonly metadata: Array<JsonObject | null> | null;
  readonly states: JsonObject[];
  /**
   * The previous state: an index into `states`, the state itself, `null` for
   * none, or {@link FROM_EARLIER_PAGE}.
   */
  readonly previous: Array<number | JsonObject | null>;
  /**
   * A catch-up page only: the entries its stream's {@link RecentVersions}
   * hold, at both ends, while this page's events are recorded.
   */
  readonly keep?: number;
}

/**
 * In `previous`: the state the receiver kept from an earlier page of the same
 * catch-up stream (see {@link RecentVersions}).
 */
const FROM_EARLIER_PAGE = -1;

/**
 * The latest version of recently seen aggregates, bounded. Both ends of a catch-up stream keep one and record the
 * same events in the same order, so the sender knows exactly which previous
 * states the receiver still holds and sends those as a reference: in a
 * rebuild, nearly every event's previous state is an earlier page's state.
 * How many entries it holds is the sender's choice, sized to the stream's
 * states (see LogReader) and written in each page (`keep`); the receiver
 * resizes its own to match before it records the page.
 */
export class RecentVersions<V extends { readonly version: number }> {
  readonly #entries: LruMap<string, V>;

  constructor(capacity: number) {
    this.#entries = new LruMap(capacity);
  }

  get capacity(): number {
    return this.#entries.capacity;
  }

  get(aggregateId: string): V | undefined {
    return this.#entries.peek(aggregateId);
  }

  /**
   * Sets the entry as the most recent; past capacity, the least recently
   * recorded one is dropped. Recency, not first insertion, is what keeps a
   * sender that started recording late (a restarted worker) from ever
   * holding an entry its receiver dropped: both then hold the latest
   * records, the sender fewer of them.
   */
  record(aggregateId: string, entry: V): void {
    this.#entries.set(aggregateId, entry);
  }

  /**
   * Holds `capacity` entries from now on, dropping the least recently
   * recorded ones beyond it. Both ends resize at the same point of the
   * stream, and a late sender's entries are the most recent of its
   * receiver's, so they stay a subset through any resize.
   */
  resize(capacity: number): void {
    if (capacity !== this.#entries.capacity) this.#entries.resize(capacity);
  }

  forget(aggregateId: string): void {
    this.#entries.delete(aggregateId);
  }
}

/**
 * Entries of a catch-up stream's record until its first page tells how big
 * its states are. Live events on a shard's event port keep no such record:
 * there, holding thousands of recent events at both ends cost more than the
 * previous states it saved sending (order, 2 shards / 1,000 senders: 47,060 → 57,955 commands/s
 * and 34.4 → 29.6 CPU µs per command without it; bench/RESULTS.md,
 * 2026-11-27, fourth session).
 */
export const STREAM_MEMORY = 10_000;

/** The scalar columns of {@link EventColumns}, each already the JSON text of its array. */
export type ScalarColumnsJson = Readonly<Record<Exclude<keyof EventColumns, 'shard' | 'states' | 'previous'>, string>>;

/** States and their back-references, as the encoders write them. */
export class StateColumn {
  readonly states: JsonObject[] = [];
  readonly previous: Array<number | JsonObject | null> = [];
  readonly #indexOf = new Map<object, number>();

  /** `receiverHasPrevious`: the receiver kept `previous` from an earlier page of the stream. */
  push(state: JsonObject, previous: JsonObject | undefined, receiverHasPrevious = false): void {
    this.previous.push(
      previous === undefined ? null : (this.#indexOf.get(previous) ?? (receiverHasPrevious ? FROM_EARLIER_PAGE : previous)),
    );
    this.#indexOf.set(state, this.states.length);
    this.states.push(state);
  }
}

/**
 * The one value every item has, or the items. A command batch's events share
 * one timestamp and one schema version: written once, they cut a page's JSON
 * by about 15% (parse 0.87 → 0.68 µs per event on the main thread).
 */
function uniformOrEach<T extends string | number>(values: T[]): T | T[] {
  const first = values[0];
  if (first === undefined) return values;
  for (let i = 1; i < values.length; i++) if (values[i] !== first) return values;
  return first;
}

/** Events of one shard, as built by that shard's command processor. */
export function encodeEvents(events: readonly StoredEvent[]): EncodedEvents {
  const n = events.length;
  const ids: string[] = [];
  const aggregateIds: string[] = [];
  const names: string[] = [];
  const versions: number[] = [];
  const schemaVersions: number[] = [];
  const occurredAt: string[] = [];
  const positions: number[] = [];
  const states = new StateColumn();
  let commandIds: Array<string | null> | null = null;
  let metadata: Array<JsonObject | null> | null = null;
  for (let i = 0; i < n; i++) {
    const event = events[i]!;
    ids.push(event.id);
    aggregateIds.push(event.aggregateId);
    names.push(event.name);
    versions.push(event.version);
    schemaVersions.push(event.schemaVersion);
    occurredAt.push(event.occurredAt);
    positions.push(event.position);
    states.push(event.state, event.previousState);
    if (event.commandId !== undefined) (commandIds ??= new Array<string | null>(n).fill(null))[i] = event.commandId;
    if (event.metadata !== undefined) (metadata ??= new Array<JsonObject | null>(n).fill(null))[i] = event.metadata;
  }
  const columns: EventColumns = {
    shard: events[0]?.shard ?? 0,
    ids,
    aggregateIds,
    names,
    versions,
    schemaVersions: uniformOrEach(schemaVersions),
    occurredAt: uniformOrEach(occurredAt),
    positions,
    commandIds,
    metadata,
    states: states.states,
    previous: states.previous,
  };
  return JSON.stringify(columns) as EncodedEvents;
}

/**
 * A log page's states written out one at a time, so that the reader can end
 * the page once they grow past its bound (LogReader): 2,000 events whose
 * states are a few hundred KB each would make a text past V8's longest
 * string, and that page, read again after every failure, would stop its
 * catch-up for good. Previous states sent in full are written out once
 * too; references are short and counted as such.
 */
export class StateTexts extends StateColumn {
  readonly #states: string[] = [];
  /** The text of each previous state sent in full, by event index. */
  readonly #inline = new Map<number, string>();
  /** Characters of the states' texts. */
  statesLength = 0;
  /** Characters of the states' and the back-references' texts together, give or take a few per event. */
  length = 0;

  override push(state: JsonObject, previous: JsonObject | undefined, receiverHasPrevious = false): void {
    super.push(state, previous, receiverHasPrevious);
    const text = JSON.stringify(state);
    this.#states.push(text);
    this.statesLength += text.length;
    this.length += text.length + REFERENCE_LENGTH;
    const index = this.previous.length - 1;
    const entry = this.previous[index];
    if (entry !== null && typeof entry === 'object') {
      const inline = JSON.stringify(entry);
      this.#inline.set(index, inline);
      this.length += inline.length;
    }
  }

  /** The `states` and `previous` members of a page's JSON text. */
  members(): string {
    const previous = this.#inline.size === 0 ? JSON.stringify(this.previous) : `[${this.previous.map((entry, i) => this.#inline.get(i) ?? String(entry)).join(',')}]`;
    return `"states":[${this.#states.join(',')}],"previous":${previous}`;
  }
}

/** Characters counted per event for its separators and its back-reference (an index, -1 or null). */
const REFERENCE_LENGTH = 8;

/**
 * A log page from its SQLite-written scalar columns and the states the
 * reader rebuilt, with `keep` for a catch-up stream's page; `stateBytes`:
 * the length of the states' JSON, which sizes the stream's record.
 */
export function encodeLogColumns(
  shard: number,
  scalars: ScalarColumnsJson,
  states: StateTexts,
  keep?: number,
): { events: EncodedEvents; stateBytes: number } {
  let text = `{"shard":${shard}`;
  for (const key of Object.keys(scalars) as Array<keyof ScalarColumnsJson>) text += `,"${key}":${scalars[key]}`;
  text += `,${states.members()}${keep === undefined ? '' : `,"keep":${keep}`}}`;
  return { events: text as EncodedEvents, stateBytes: states.statesLength };
}

/** The scalar columns of a log page's first `count` events: for a page its reader ended early. */
export function firstEventsOf(scalars: ScalarColumnsJson, count: number): ScalarColumnsJson {
  const first: Record<string, string> = {};
  for (const [key, text] of Object.entries(scalars)) {
    const column = JSON.parse(text) as unknown;
    first[key] = Array.isArray(column) ? JSON.stringify(column.slice(0, count)) : text;
  }
  return first as ScalarColumnsJson;
}

/** What the receiving end of a catch-up stream keeps: see {@link RecentVersions}. */
export type ReceivedStates = RecentVersions<{ readonly version: number; readonly state: JsonObject }>;

/** `received`: for a page of a catch-up stream, the states kept from its earlier pages (updated here). */
export function decodeEvents(encoded: EncodedEvents, received?: ReceivedStates): StoredEvent[] {
  const c = JSON.parse(encoded) as EventColumns;
  const n = c.ids.length;
  if (received !== undefined && c.keep !== undefined) received.resize(c.keep);
  const events = new Array<StoredEvent>(n);
  for (let i = 0; i < n; i++) {
    let previous = c.previous[i]!;
    if (previous === FROM_EARLIER_PAGE) {
      const kept = received?.get(c.aggregateIds[i]!);
      if (kept === undefined || kept.version !== c.versions[i]! - 1) {
        throw new Error(`catch-up page refers to a state of ${c.aggregateIds[i]} v${c.versions[i]! - 1} that this end did not keep`);
      }
      previous = kept.state;
    }
    const event: { -readonly [K in keyof StoredEvent]: StoredEvent[K] } = {
      id: c.ids[i]!,
      aggregateId: c.aggregateIds[i]!,
      name: c.names[i]!,
      version: c.versions[i]!,
      schemaVersion: typeof c.schemaVersions === 'number' ? c.schemaVersions : c.schemaVersions[i]!,
      occurredAt: typeof c.occurredAt === 'string' ? c.occurredAt : c.occurredAt[i]!,
      state: c.states[i]!,
      previousState: previous === null ? undefined : typeof previous === 'number' ? c.states[previous] : previous,
      position: c.positions[i]!,
      shard: c.shard,
    };
    const commandId = c.commandIds?.[i];
    if (commandId !== undefined && commandId !== null) event.commandId = commandId;
    const metadata = c.metadata?.[i];
    if (metadata !== undefined && metadata !== null) event.metadata = metadata;
    events[i] = event;
    // The event itself would hold its previous state too.
    received?.record(event.aggregateId, { version: event.version, state: event.state });
  }
  return events;
}
