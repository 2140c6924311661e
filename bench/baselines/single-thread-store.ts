/**
 * What a user writes without this library: aggregates in a Map, each
 * command validated and applied by the same domain code the engine runs,
 * the change diffed into an RFC 6902 patch with fast-json-patch, and the
 * event inserted with one prepared statement. How many commands share a
 * transaction is the caller's choice (one, or a batch).
 */
import { randomUUID } from 'node:crypto';
import type { Database as Db, Statement } from 'better-sqlite3';
import jsonPatch from 'fast-json-patch';
import type { CommandDefinition, Domain } from '../../src/index.js';
import { INSERT_EVENT, countEvents, openEventFile, type EventValues } from './event-table.js';

const { compare } = jsonPatch;

export interface BaselineCommand {
  readonly type: string;
  readonly payload: object;
}

/** An event ready to insert, with the state a subscriber would see. */
export interface BaselineEvent {
  readonly values: EventValues;
  readonly state: object;
  readonly previousState: object | undefined;
}

export class SingleThreadStore {
  readonly #domain: Domain<object, object>;
  readonly #db: Db;
  readonly #insert: Statement<EventValues>;
  readonly #appendAll: (events: readonly BaselineEvent[]) => void;
  readonly #aggregates = new Map<string, { readonly state: object; readonly version: number }>();

  constructor(domain: Domain<object, object>, file: string) {
    this.#domain = domain;
    this.#db = openEventFile(file);
    this.#insert = this.#db.prepare<EventValues>(INSERT_EVENT);
    this.#appendAll = this.#db
      .transaction((events: readonly BaselineEvent[]) => {
        for (const event of events) this.#insert.run(...event.values);
      })
      .immediate;
  }

  /**
   * Runs validate and emit and updates the in-memory aggregate at once, as a
   * simple hand-written loop would; the event is durable only after
   * {@link commit}. A rejected command throws: the benchmark workloads are
   * all valid, so a rejection means the run is wrong.
   */
  execute(command: BaselineCommand): BaselineEvent {
    const definition = (this.#domain.commands as Record<string, CommandDefinition<object, unknown>>)[command.type];
    if (definition === undefined) throw new Error(`unknown command ${command.type}`);
    const aggregateId = definition.aggregateId(command.payload);
    const current = this.#aggregates.get(aggregateId);
    definition.validate?.(current?.state, command.payload);
    const state = definition.emit(current?.state, command.payload);
    const version = (current?.version ?? 0) + 1;
    const patch = JSON.stringify(compare(current?.state ?? {}, state));
    this.#aggregates.set(aggregateId, { state, version });
    return {
      values: [randomUUID(), aggregateId, version, definition.event, this.#domain.schemaVersion, new Date().toISOString(), patch],
      state,
      previousState: current?.state,
    };
  }

  /** One transaction for all of `events`: one fsync. */
  commit(events: readonly BaselineEvent[]): void {
    this.#appendAll(events);
  }

  storedEvents(): number {
    return countEvents(this.#db);
  }

  close(): void {
    this.#db.close();
  }
}
