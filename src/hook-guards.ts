/**
 * The user hooks given to `open` (`onHandlerError`, `onSnapshotCorrupt` and
 * the logger's methods) are called from inside the engine: a MessagePort
 * listener, a delivery loop, the forget sequence, `open` and `close`. A hook
 * that throws there, or returns a promise that rejects, would escape as an
 * uncaught exception or leave the engine's own work half done, so each one
 * is wrapped here: its failure is reported and the engine carries on.
 */
import { describeThrown } from './errors.js';
import type { LogMethod, Logger } from './logger.js';

/** What a failing hook was called about: a phrase for the message, and fields for the logger. */
export interface HookContext {
  readonly about: string;
  readonly fields: Record<string, unknown>;
}

export type HookFailureReporter = (hook: string, error: unknown, context: HookContext) => void;

/** Calls `run`; a throw or a rejected promise goes to `onError` instead of to the caller. */
function contain(run: () => unknown, onError: (error: unknown) => void): void {
  let result: unknown;
  try {
    result = run();
  } catch (thrown) {
    onError(thrown);
    return;
  }
  if (typeof (result as PromiseLike<unknown> | undefined)?.then === 'function') {
    (result as PromiseLike<unknown>).then(undefined, onError);
  }
}

/**
 * `logger` with each method made safe, and `bindings` added to the fields of
 * every line (a line's own fields win). A method that fails is reported on
 * stderr: the logger cannot be trusted to report its own failure.
 */
export function guardLogger(logger: Logger, bindings: Readonly<Record<string, unknown>> = {}): Logger {
  const guard =
    (level: string, method: LogMethod): LogMethod =>
    (fields, message) =>
      contain(
        () => method.call(logger, { ...bindings, ...fields }, message),
        (error) => console.error(`asynx: logger.${level} threw while logging ${JSON.stringify(message)}:`, error),
      );
  const guarded: Logger = { info: guard('info', logger.info), warn: guard('warn', logger.warn), error: guard('error', logger.error) };
  return logger.debug === undefined ? guarded : { ...guarded, debug: guard('debug', logger.debug) };
}

/**
 * Reports a failing hook to `logger` at error level, or on stderr when no
 * logger was given (as the default hooks do). `logger` must be guarded.
 */
export function hookFailureReporter(logger: Logger | undefined): HookFailureReporter {
  return (hook, error, { about, fields }) => {
    const message = `${hook} hook threw on ${about}: ${describeThrown(error).message}`;
    if (logger === undefined) console.error(`asynx: ${message}`, error);
    else logger.error({ ...fields, hook, err: error }, message);
  };
}

/** `hook` made safe: a failure is reported as `name`, with the context `describe` gives for its arguments. */
export function guardHook<A extends unknown[]>(
  name: string,
  hook: (...args: A) => void,
  describe: (...args: A) => HookContext,
  report: HookFailureReporter,
): (...args: A) => void {
  return (...args) =>
    contain(
      () => hook(...args),
      (error) => report(name, error, describe(...args)),
    );
}
