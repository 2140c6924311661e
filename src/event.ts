import type { JsonObject } from './json.js';

/** An event as stored and delivered: one committed change of one aggregate. */
export interface StoredEvent<S extends object = JsonObject> {
  /** Unique ID of this event (a UUID). */
  readonly id: string;
  readonly aggregateId: string;
  /** Event name from the command definition, for example `OrderCreated`. */
  readonly name: string;
  /** 1 for the aggregate's first event, then 2, 3, … without gaps. */
  readonly version: number;
  /** The domain's `schemaVersion` when the event was written. */
  readonly schemaVersion: number;
  /** ISO 8601 time at which the shard processed the command. */
  readonly occurredAt: string;
  /** The aggregate's state after this event. */
  readonly state: S;
  /** The state before it; `undefined` for the first event. */
  readonly previousState: S | undefined;
  /** The shard's gap-free commit counter: this event's place in its shard's log. */
  readonly position: number;
  /** The shard that stores the aggregate. */
  readonly shard: number;
  readonly commandId?: string;
  readonly metadata?: JsonObject;
}

/** Name of the tombstone event delivered by `forget` before an aggregate is erased. */
export const FORGOTTEN_EVENT = 'asynx.forgotten';
