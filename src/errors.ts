/**
 * Every error the engine raises. Each class carries a stable string `code`
 * and optional plain-data `details`; `toWire` / `fromWire` carry class, code,
 * message, details and stack across the worker boundary, where structured
 * clone would otherwise flatten them to a bare `Error`.
 */
import { plainDetails } from './plain-details.js';

/**
 * Whether a command that failed may still have been stored: `true` only for
 * a `sendAndWait` whose command was stored but whose wait for the handlers
 * the engine's shutdown cut off.
 */
export type Executed = boolean | 'unknown';

export type ErrorDetails = Readonly<Record<string, unknown>>;

const BRAND = Symbol.for('asynx-ts.error');

export abstract class AsynxError extends Error {
  abstract readonly code: string;
  readonly details: ErrorDetails | undefined;

  constructor(message: string, details?: ErrorDetails) {
    super(message);
    this.details = details;
    Object.defineProperty(this, BRAND, { value: true });
  }

  override get name(): string {
    return this.constructor.name;
  }
}

/** The domain rejected the command (thrown by `validate` or `emit`). Nothing was stored. */
export class ValidationError extends AsynxError {
  readonly code = 'VALIDATION_FAILED';
}

/** The aggregate does not exist (never created, or forgotten). */
export class NotFoundError extends AsynxError {
  readonly code = 'NOT_FOUND';
}

/**
 * User code (validate, emit, aggregateId, an upcaster) threw something other
 * than a `ValidationError`, or returned something the engine cannot store.
 * `details.cause` keeps the original message and `details.causeStack` its stack.
 */
export class CommandFailedError extends AsynxError {
  readonly code = 'COMMAND_FAILED';
}

/** The shard's queue is at `queueDepth` and `onFull` is `'reject'`. Nothing was queued. */
export class QueueFullError extends AsynxError {
  readonly code = 'QUEUE_FULL';
}

/**
 * `close()` or `destroy()` was called: new work is refused, or queued work was
 * cut off. `executed` is `'unknown'` for a command already sent to its shard
 * when a timed-out `close` or a `destroy` stopped the worker (re-send it with
 * the same `commandId` to find out), otherwise `false`.
 */
export class ShuttingDownError extends AsynxError {
  readonly code = 'SHUTTING_DOWN';
  get executed(): Executed {
    return (this.details?.executed as Executed | undefined) ?? false;
  }
}

/** The caller's `AbortSignal` fired. `executed` tells whether the command may have been stored. */
export class AbortError extends AsynxError {
  readonly code = 'ABORTED';
  get executed(): Executed {
    return (this.details?.executed as Executed | undefined) ?? false;
  }
}

/**
 * The shard's worker died while this command was in flight. The command may or
 * may not have been committed (`executed: 'unknown'`): re-send it with the same
 * `commandId` to find out.
 */
export class ShardCrashedError extends AsynxError {
  readonly code = 'SHARD_CRASHED';
  get executed(): Executed {
    return 'unknown';
  }
}

/** A wait (`waitFor`) ran past its `timeoutMs`. */
export class TimeoutError extends AsynxError {
  readonly code = 'TIMEOUT';
}

/**
 * A subscription's handler did not settle within its `timeoutMs`: given to
 * its fallback and to `onHandlerError`, and the reason of the handler's
 * `signal`. The event stays stored; delivery moves on to the next one.
 */
// Raised and handled on the main thread only, so it is not in the wire's error classes.
export class HandlerTimeoutError extends AsynxError {
  readonly code = 'HANDLER_TIMEOUT';

  constructor(
    message: string,
    details: ErrorDetails & { readonly timeoutMs: number },
  ) {
    super(message, details);
  }

  /** The subscription's `timeoutMs`. */
  get timeoutMs(): number {
    return this.details?.timeoutMs as number;
  }
}

/** The command type is not defined by the domain. */
export class UnknownCommandError extends AsynxError {
  readonly code = 'UNKNOWN_COMMAND';
}

/** An option, the domain module, or the data directory does not fit. Raised at `open`. */
export class ConfigError extends AsynxError {
  readonly code = 'CONFIG_INVALID';
}

/**
 * A `commandId` was sent again for the same aggregate with a different
 * command type or payload. The first command's event stands; nothing was written.
 */
export class IdempotencyConflictError extends AsynxError {
  readonly code = 'IDEMPOTENCY_CONFLICT';
}

/** SQLite failed to read or write (disk full, corrupt file, I/O error). */
export class StorageError extends AsynxError {
  readonly code = 'STORAGE_FAILED';
}

/**
 * An argument of a public call has the wrong type or shape: an empty or
 * non-string aggregate ID, a payload that cannot be stored as JSON, a payload
 * over `maxPayloadBytes`. Nothing was queued or written.
 */
export class InvalidArgumentError extends AsynxError {
  readonly code = 'INVALID_ARGUMENT';
}

const errorClasses = {
  ValidationError,
  NotFoundError,
  CommandFailedError,
  QueueFullError,
  ShuttingDownError,
  AbortError,
  ShardCrashedError,
  UnknownCommandError,
  ConfigError,
  StorageError,
  InvalidArgumentError,
  IdempotencyConflictError,
  TimeoutError,
} as const;

export type AsynxErrorName = keyof typeof errorClasses;

/** The plain-data form of an error on the wire between threads. */
export interface WireError {
  readonly name: AsynxErrorName;
  readonly message: string;
  readonly details?: ErrorDetails;
  readonly stack?: string;
}

/**
 * True for any `AsynxError`, including one created by another copy of this
 * library loaded in the same thread (a domain module may resolve its own copy).
 */
export function isAsynxError(value: unknown): value is AsynxError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}

/**
 * The error as plain data for the wire. Its details are copied as plain data
 * (see plain-details.ts): user code fills them, and a part that structured
 * clone cannot copy would otherwise fail the post of a whole batch's reply.
 */
export function toWire(error: AsynxError): WireError {
  const name = (error.name in errorClasses ? error.name : 'CommandFailedError') as AsynxErrorName;
  const { stack } = error;
  return { name, message: String(error.message), details: plainDetails(error.details), stack: typeof stack === 'string' ? stack : undefined };
}

export function fromWire(wire: WireError): AsynxError {
  const ErrorClass = errorClasses[wire.name] ?? CommandFailedError;
  const error = new ErrorClass(wire.message, wire.details);
  if (wire.stack !== undefined) error.stack = wire.stack;
  return error;
}

/** Describes any thrown value for a message, without assuming it is an Error. */
export function describeThrown(thrown: unknown): { message: string; stack?: string } {
  try {
    // Duck-typed: errors from another realm (a vm context, a native addon) fail instanceof.
    if (typeof thrown === 'object' && thrown !== null && typeof (thrown as Error).message === 'string') {
      const { message, stack } = thrown as Error;
      return typeof stack === 'string' ? { message, stack } : { message };
    }
    return { message: typeof thrown === 'string' ? thrown : JSON.stringify(thrown) ?? String(thrown) };
  } catch {
    // A proxy, a getter or a toJSON of the thrown value threw in turn.
    try {
      return { message: String(thrown) };
    } catch {
      return { message: `a thrown ${typeof thrown} that cannot be described` };
    }
  }
}
