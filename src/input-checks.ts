/**
 * Checks of caller input on the main thread, before anything is queued: a
 * bad argument costs a typed error and never reaches a shard or a file.
 */
import { describeValue } from './describe-value.js';
import { InvalidArgumentError, describeThrown } from './errors.js';
import { NotJsonError, assertJson, isPlainObject, toJson, type JsonObject } from './json.js';
import { rejectUnknownKeys } from './options.js';
import { checkTimeout } from './timeouts.js';
import type { CloseOptions } from './call-options.js';

/** Longest accepted aggregate ID, in UTF-16 code units. */
export const MAX_AGGREGATE_ID_LENGTH = 1024;
/** Longest accepted `commandId`. */
export const MAX_COMMAND_ID_LENGTH = 256;

/** `String.prototype.isWellFormed` (Node 20), which the ES2023 lib this project compiles against does not declare. */
type MaybeWellFormed = string & { isWellFormed(): boolean };
const LONE_SURROGATE = /\p{Surrogate}/u;

/**
 * Refuses a string with a lone UTF-16 surrogate. SQLite keeps TEXT columns as
 * UTF-8, which cannot encode one: it would be stored as U+FFFD, so the ID read
 * back (history, idempotent re-sends, the unique index) would differ from the
 * one given. (Inside JSON text it is escaped and survives.)
 */
export function checkWellFormed(text: string, what: string): void {
  // Native, and constant time for strings V8 keeps as one byte per character: cheap on every send.
  if ((text as MaybeWellFormed).isWellFormed()) return;
  const index = LONE_SURROGATE.exec(text)!.index;
  const unit = `\\u${text.charCodeAt(index).toString(16)}`;
  throw new InvalidArgumentError(`${what} has a lone UTF-16 surrogate ${unit} at index ${index}; IDs must be well-formed Unicode`, { field: what, index });
}

export function checkAggregateId(id: unknown, where: string): string {
  if (typeof id !== 'string') {
    throw new InvalidArgumentError(`${where}: aggregate ID must be a string, got ${id === null ? 'null' : typeof id}`, { where });
  }
  if (id.length === 0) throw new InvalidArgumentError(`${where}: aggregate ID must not be empty`, { where });
  if (id.length > MAX_AGGREGATE_ID_LENGTH) {
    throw new InvalidArgumentError(`${where}: aggregate ID is ${id.length} characters long, the limit is ${MAX_AGGREGATE_ID_LENGTH}`, {
      where,
    });
  }
  checkWellFormed(id, `${where}: aggregate ID`);
  return id;
}

/**
 * The payload as JSON text, after checking that it is an object of JSON
 * data (see `toJson` for what is refused) and at most `maxBytes` of UTF-8.
 * The text is what crosses to the shard: taken now, later changes by the
 * caller cannot reach the command.
 */
export function checkPayload(payload: unknown, type: string, maxBytes: number): string {
  if (!isPlainObject(payload)) {
    const got = payload === null ? 'null' : Array.isArray(payload) ? 'an array' : typeof payload === 'object' ? 'an instance of a class' : typeof payload;
    throw new InvalidArgumentError(`${type}: the payload must be a plain object, got ${got}`, { type });
  }
  let text: string;
  try {
    assertJson(payload, 'payload');
    text = JSON.stringify(payload);
  } catch (thrown) {
    if (thrown instanceof NotJsonError) {
      throw new InvalidArgumentError(`${type}: ${thrown.message}; payloads must be JSON data`, { type, path: thrown.path });
    }
    // A getter or a proxy of the caller's threw while the payload was read.
    throw new InvalidArgumentError(`${type}: reading the payload threw: ${describeThrown(thrown).message}`, { type });
  }
  return withinSize(text, 'payload', type, maxBytes);
}

/** `text` when its UTF-8 form fits `maxBytes` (`maxPayloadBytes`), else `InvalidArgumentError` naming `what`. */
function withinSize(text: string, what: string, type: string, maxBytes: number): string {
  // A UTF-16 code unit is at most 3 bytes of UTF-8: most texts need no count.
  const bytes = text.length * 3 <= maxBytes ? 0 : Buffer.byteLength(text);
  if (bytes > maxBytes) {
    throw new InvalidArgumentError(`${type}: ${what} is ${bytes} bytes as JSON, over maxPayloadBytes (${maxBytes})`, {
      type,
      bytes,
      maxPayloadBytes: maxBytes,
    });
  }
  return text;
}

/**
 * Checked metadata as the JSON text it travels and is stored as. It is held
 * to `maxPayloadBytes` like the payload: unlimited, it could make a batch too
 * long to send (see batch-length.ts) and an event too large to read back.
 */
export function metadataText(metadata: JsonObject, type: string, maxBytes: number): string {
  return withinSize(JSON.stringify(metadata), 'metadata', type, maxBytes);
}

export interface CheckedSendOptions {
  readonly commandId: string | undefined;
  readonly metadata: JsonObject | undefined;
  readonly signal: AbortSignal | undefined;
}

export function checkSendOptions(options: unknown, type: string): CheckedSendOptions {
  if (options === undefined) return { commandId: undefined, metadata: undefined, signal: undefined };
  if (!isPlainObject(options)) throw new InvalidArgumentError(`${type}: send options must be an object`, { type });
  rejectUnknownKeys(options, ['commandId', 'metadata', 'signal'], 'send option', InvalidArgumentError);
  const { commandId, metadata, signal } = options;
  if (commandId !== undefined && (typeof commandId !== 'string' || commandId.length === 0 || commandId.length > MAX_COMMAND_ID_LENGTH)) {
    throw new InvalidArgumentError(`${type}: commandId must be a non-empty string of at most ${MAX_COMMAND_ID_LENGTH} characters`, { type });
  }
  if (commandId !== undefined) checkWellFormed(commandId, `${type}: commandId`);
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new InvalidArgumentError(`${type}: signal must be an AbortSignal`, { type });
  }
  let checkedMetadata: JsonObject | undefined;
  if (metadata !== undefined) {
    let plain: boolean;
    try {
      plain = isPlainObject(metadata);
      if (plain) checkedMetadata = toJson(metadata, 'metadata') as JsonObject;
    } catch (thrown) {
      if (thrown instanceof NotJsonError) {
        throw new InvalidArgumentError(`${type}: ${thrown.message}; metadata must be JSON data`, { type, path: thrown.path });
      }
      // A proxy of the caller's threw before the walk could name a path.
      throw new InvalidArgumentError(`${type}: reading the metadata threw: ${describeThrown(thrown).message}`, { type });
    }
    if (!plain) throw new InvalidArgumentError(`${type}: metadata must be a plain JSON object`, { type });
  }
  return { commandId: commandId as string | undefined, metadata: checkedMetadata, signal: signal as AbortSignal | undefined };
}

export interface HistoryRange {
  readonly from: number;
  readonly to: number;
}

export function checkHistoryRange(options: unknown, aggregateId: string): HistoryRange {
  if (options === undefined) return { from: 1, to: Number.MAX_SAFE_INTEGER };
  if (!isPlainObject(options)) throw new InvalidArgumentError(`history(${aggregateId}): options must be an object`);
  rejectUnknownKeys(options, ['from', 'to'], 'history option', InvalidArgumentError);
  const bound = (name: 'from' | 'to', fallback: number): number => {
    const value = options[name];
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
      throw new InvalidArgumentError(`history(${aggregateId}): ${name} must be a version (an integer >= 1), got ${describeValue(value)}`);
    }
    return value;
  };
  const from = bound('from', 1);
  const to = bound('to', Number.MAX_SAFE_INTEGER);
  if (to < from) throw new InvalidArgumentError(`history(${aggregateId}): to (${to}) is before from (${from})`);
  return { from, to };
}

const CLOSE_OPTIONS: ReadonlyArray<keyof CloseOptions> = ['timeoutMs'];

/** The time `close` gives accepted work, in ms (`Infinity`: no limit). */
export function checkCloseOptions(options: unknown): number {
  if (options === undefined) return 30_000;
  if (!isPlainObject(options)) throw new InvalidArgumentError(`close(): options must be an object, got ${describeValue(options)}`);
  rejectUnknownKeys(options, CLOSE_OPTIONS, 'close option', InvalidArgumentError);
  const { timeoutMs } = options as CloseOptions;
  return timeoutMs === undefined ? 30_000 : checkTimeout(timeoutMs, { option: 'timeoutMs', what: 'close(): timeoutMs', min: 0, unlimited: true });
}
