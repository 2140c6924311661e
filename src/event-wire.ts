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
import type { JsonObject } from './json.js';
import type { EncodedEvents } from './protocol.js';

/** The JSON shape of {@link EncodedEvents}: one array per field, one item per event. */
interface EventColumns {
  readonly shard: number;
  readonly ids: string[];
  readonly aggregateIds: string[];
  readonly names: string[];
  readonly versions: number[];
  readonly schemaVersions: number[];
  readonly occurredAt: string[];
  readonly positions: number[];
  /** `null` (the whole column) when no event has one. */
  readonly commandIds: Array<string | null> | null;
  readonly metadata: Array<JsonObject | null> | null;
  readonly states: JsonObject[];
  /** The previous state: an index into `states`, the state itself, or `null` for none. */
  readonly previous: Array<number | JsonObject | null>;
}

/** The scalar columns of {@link EventColumns}, each already the JSON text of its array. */
export type ScalarColumnsJson = Readonly<Record<Exclude<keyof EventColumns, 'shard' | 'states' | 'previous'>, string>>;

/** States and their back-references, as the encoders write them. */
export class StateColumn {
  readonly states: JsonObject[] = [];
  readonly previous: Array<number | JsonObject | null> = [];
  readonly #indexOf = new Map<object, number>();

  push(state: JsonObject, previous: JsonObject | undefined): void {
    this.previous.push(previous === undefined ? null : (this.#indexOf.get(previous) ?? previous));
    this.#indexOf.set(state, this.states.length);
    this.states.push(state);
  }
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
    schemaVersions,
    occurredAt,
    positions,
    commandIds,
    metadata,
    states: states.states,
    previous: states.previous,
  };
  return JSON.stringify(columns) as EncodedEvents;
}

/** A log page from its SQLite-written scalar columns and the states the reader rebuilt. */
export function encodeLogColumns(shard: number, scalars: ScalarColumnsJson, states: StateColumn): EncodedEvents {
  let text = `{"shard":${shard}`;
  for (const key of Object.keys(scalars) as Array<keyof ScalarColumnsJson>) text += `,"${key}":${scalars[key]}`;
  text += `,"states":${JSON.stringify(states.states)},"previous":${JSON.stringify(states.previous)}}`;
  return text as EncodedEvents;
}

export function decodeEvents(encoded: EncodedEvents): StoredEvent[] {
  const c = JSON.parse(encoded) as EventColumns;
  const n = c.ids.length;
  const events = new Array<StoredEvent>(n);
  for (let i = 0; i < n; i++) {
    const previous = c.previous[i]!;
    const event: { -readonly [K in keyof StoredEvent]: StoredEvent[K] } = {
      id: c.ids[i]!,
      aggregateId: c.aggregateIds[i]!,
      name: c.names[i]!,
      version: c.versions[i]!,
      schemaVersion: c.schemaVersions[i]!,
      occurredAt: c.occurredAt[i]!,
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
  }
  return events;
}
