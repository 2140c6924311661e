/**
 * The user-code step of a command: validate, emit, and the checks on what
 * emit returned. Shared by the shard's command processor and the testing
 * helpers, so a rule behaves the same in a unit test as in a worker.
 */
import type { CommandDefinition } from '../domain.js';
import { SYNCHRONOUS } from '../domain-problems.js';
import { CommandFailedError, ValidationError, describeThrown, isAsynxError, type AsynxError } from '../errors.js';
import { NotJsonError, freezeIfCanonical, toJson, type JsonObject, type JsonValue } from '../json.js';

export type Decision = { readonly ok: true; readonly state: JsonObject } | { readonly ok: false; readonly error: AsynxError };

/**
 * Runs validate and emit for one command on `current` (undefined for an
 * aggregate that never existed) and returns the next state, frozen and
 * normalised to JSON (frozen in place when it already is JSON), or the error: `ValidationError` when the domain
 * refused, `CommandFailedError` for anything else user code did wrong.
 */
export function decide(
  definition: CommandDefinition<object, unknown>,
  type: string,
  aggregateId: string,
  current: JsonObject | undefined,
  payload: JsonValue,
): Decision {
  let emitted: unknown;
  try {
    if (isPromise(definition.validate?.(current, payload))) return returnedPromise('validate', type, aggregateId);
    emitted = definition.emit(current, payload);
    if (isPromise(emitted)) return returnedPromise('emit', type, aggregateId);
  } catch (thrown) {
    if (isAsynxError(thrown) && thrown.code === 'VALIDATION_FAILED') {
      const refusal = new ValidationError(thrown.message, { type, aggregateId, ...thrown.details });
      // Where the domain refused is what a reader of the stack wants, not where it was caught.
      if (typeof thrown.stack === 'string') refusal.stack = thrown.stack;
      return { ok: false, error: refusal };
    }
    const { message, stack } = describeThrown(thrown);
    return {
      ok: false,
      error: new CommandFailedError(`${type} on ${aggregateId} threw: ${message}`, { type, aggregateId, cause: message, causeStack: stack ?? null }),
    };
  }
  if (typeof emitted !== 'object' || emitted === null || Array.isArray(emitted)) {
    const got = emitted === null ? 'null' : Array.isArray(emitted) ? 'an array' : typeof emitted;
    return {
      ok: false,
      error: new CommandFailedError(`emit of ${type} on ${aggregateId} returned ${got}; it must return the next state as an object`, { type, aggregateId }),
    };
  }
  try {
    // Most states are canonical JSON already: frozen where they are, not copied.
    return { ok: true, state: (freezeIfCanonical(emitted) ?? toJson(emitted, 'state', true)) as JsonObject };
  } catch (thrown) {
    if (!(thrown instanceof NotJsonError)) throw thrown;
    return {
      ok: false,
      error: new CommandFailedError(`emit of ${type} on ${aggregateId} returned state that cannot be stored: ${thrown.message}`, {
        type,
        aggregateId,
        path: thrown.path,
      }),
    };
  }
}

/** A thenable, told that nobody waits for it: were it to reject, that would end the worker as an unhandled rejection. */
export function isPromise(value: unknown): boolean {
  if (typeof (value as PromiseLike<unknown> | null | undefined)?.then !== 'function') return false;
  (value as PromiseLike<unknown>).then(undefined, () => undefined);
  return true;
}

function returnedPromise(part: 'validate' | 'emit', type: string, aggregateId: string): Decision {
  return {
    ok: false,
    error: new CommandFailedError(`${part} of ${type} on ${aggregateId} returned a promise; ${SYNCHRONOUS}`, { type, aggregateId }),
  };
}
