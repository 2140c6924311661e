/**
 * Given / when / then for a domain's commands, in the test's own thread: no
 * workers, no files. A command runs the way a shard runs it (JSON copy of
 * the payload, `aggregateId`, `validate` and `emit` against a frozen state,
 * the emitted state normalised to JSON, the change diffed to an RFC 6902
 * patch), and `then` checks the outcome, including that the stored patch
 * replays to the emitted state. Failures throw a `DomainAssertionError`
 * with a readable message, so the helpers work under any test runner.
 * Misuse of the helpers (a history whose commands are rejected or target
 * different aggregates, a command under test for another aggregate, an
 * argument of the wrong kind) throws `InvalidArgumentError` instead: it is
 * the test that is wrong, not the domain.
 */
import type { CommandName, Domain, PayloadOf, StateOf } from '../domain.js';
import { assertDomain } from '../domain-check.js';
import { InvalidArgumentError, type AsynxError } from '../errors.js';
import { NotJsonError, isPlainObject, toJson, type JsonObject } from '../json.js';
import { describeError, execute, replayProblem, type Current, type Outcome, type ProducedEvent } from './command-under-test.js';
import { jsonDifferences, renderJson } from './json-diff.js';

export type { ProducedEvent } from './command-under-test.js';

/** One earlier command of a `given` list: `['CreateOrder', { id: 'ORD-1', … }]`. */
export type GivenCommand<D> = { [K in CommandName<D>]: readonly [type: K, payload: PayloadOf<D, K>] }[CommandName<D>];

/**
 * What existed before the command under test: the aggregate's state, nothing
 * (`undefined`: it never existed), or the earlier commands that built it.
 */
export type GivenHistory<D> = StateOf<D> | undefined | readonly GivenCommand<D>[];

/** A constructor of errors, for `then(ValidationError)`; abstract classes such as `AsynxError` included. */
export type ErrorClass<E extends Error> = abstract new (...args: never[]) => E;

/** A `then` expectation that did not hold. `expected` and `actual` carry the compared values. */
export class DomainAssertionError extends Error {
  readonly expected: unknown;
  readonly actual: unknown;

  constructor(message: string, expected: unknown, actual: unknown) {
    super(message);
    this.expected = expected;
    this.actual = actual;
  }

  override get name(): string {
    return 'DomainAssertionError';
  }
}

function isErrorClass(value: unknown): value is ErrorClass<Error> {
  return typeof value === 'function' && (value === Error || (value as { prototype?: unknown }).prototype instanceof Error);
}

/** Whether `error` is an instance of `errorClass`, or an asynx error of that class name from another copy of the library. */
function isErrorOf(error: AsynxError, errorClass: ErrorClass<Error>): boolean {
  if (error instanceof errorClass) return true;
  const name: string = (error as Error).name;
  return name === errorClass.name;
}

/** The outcome of one command under test, with the `then` assertions. */
export class When<D extends Domain<object, object>> {
  readonly #outcome: Outcome;
  readonly #context: string;

  /** @internal Built by `given(…).when(…)`. */
  constructor(outcome: Outcome, context: string) {
    this.#outcome = outcome;
    this.#context = context;
  }

  /**
   * Asserts that the command was rejected with an error of `errorClass`
   * (`ValidationError`, `CommandFailedError`, …) and, when given, that its
   * message contains `message` (a string) or matches it (a RegExp).
   * Returns the error for further checks (`details`, `code`).
   */
  then<E extends Error>(errorClass: ErrorClass<E>, message?: string | RegExp): E;
  /**
   * Asserts that the command succeeded, that the emitted state deep-equals
   * `expected` (as JSON: key order and properties set to `undefined` do not
   * matter), and that the stored patch replays to that state. Returns the
   * produced event.
   */
  then(expected: StateOf<D>): ProducedEvent<StateOf<D>>;
  then(expected: unknown, message?: unknown): unknown {
    if (typeof expected === 'function' && typeof message === 'function') {
      // `await` or a runner treating this object as a promise calls then(resolve, reject).
      throw new InvalidArgumentError(`${this.#context}: this is not a promise; call .then(expectedState) or .then(ErrorClass) on it instead of awaiting it`);
    }
    if (typeof expected === 'function') {
      if (!isErrorClass(expected)) {
        throw new InvalidArgumentError(`then() takes the expected state or an Error class (such as ValidationError), got the function ${String((expected as { name?: unknown }).name)}`);
      }
      if (message !== undefined && typeof message !== 'string' && !(message instanceof RegExp)) {
        throw new InvalidArgumentError('then(ErrorClass, message): message must be a string or a RegExp');
      }
      return this.#expectError(expected, message);
    }
    return this.#expectState(expected);
  }

  /**
   * Asserts that the command succeeded with the event `name` and that its
   * patch replays to its state; returns the event.
   */
  thenEvent(name: string): ProducedEvent<StateOf<D>> {
    const event = this.#succeeded(`event ${name}`);
    if (event.name !== name) {
      throw new DomainAssertionError(`${this.#context}: expected event ${name}, but the command produced ${event.name}`, name, event.name);
    }
    return event as unknown as ProducedEvent<StateOf<D>>;
  }

  #succeeded(wanted: string): ProducedEvent<JsonObject> {
    const outcome = this.#outcome;
    if (!outcome.ok) {
      throw new DomainAssertionError(
        `${this.#context}: expected ${wanted}, but the command was rejected: ${describeError(outcome.error)}`,
        wanted,
        outcome.error,
      );
    }
    const problem = replayProblem(outcome.event);
    if (problem !== undefined) throw new DomainAssertionError(`${this.#context}: ${problem}`, outcome.event.state, outcome.event.patch);
    return outcome.event;
  }

  #expectState(expected: unknown): ProducedEvent<StateOf<D>> {
    if (!isPlainObject(expected)) {
      throw new InvalidArgumentError(`then() takes the expected state (a plain object) or an Error class, got ${expected === null ? 'null' : Array.isArray(expected) ? 'an array' : typeof expected}`);
    }
    let wanted: JsonObject;
    try {
      wanted = toJson(expected, 'expected') as JsonObject;
    } catch (thrown) {
      if (!(thrown instanceof NotJsonError)) throw thrown;
      throw new InvalidArgumentError(`then(): the expected state is not JSON data: ${thrown.message}`);
    }
    const event = this.#succeeded(`the state ${renderJson(wanted)}`);
    const differences = jsonDifferences(wanted, event.state);
    if (differences.length > 0) {
      throw new DomainAssertionError(
        [
          `${this.#context}: the emitted state differs from the expected state`,
          ...differences.map((line) => `  ${line}`),
          `expected: ${renderJson(wanted)}`,
          `actual:   ${renderJson(event.state)}`,
        ].join('\n'),
        wanted,
        event.state,
      );
    }
    return event as unknown as ProducedEvent<StateOf<D>>;
  }

  #expectError<E extends Error>(errorClass: ErrorClass<E>, message: string | RegExp | undefined): E {
    const outcome = this.#outcome;
    const wanted = `${errorClass.name}${message === undefined ? '' : ` with message ${typeof message === 'string' ? `containing ${JSON.stringify(message)}` : `matching ${String(message)}`}`}`;
    if (outcome.ok) {
      throw new DomainAssertionError(
        `${this.#context}: expected ${wanted}, but the command succeeded with ${outcome.event.name} → ${renderJson(outcome.event.state)}`,
        wanted,
        outcome.event.state,
      );
    }
    const { error } = outcome;
    if (!isErrorOf(error, errorClass)) {
      throw new DomainAssertionError(`${this.#context}: expected ${wanted}, but it failed with ${describeError(error)}`, wanted, error);
    }
    const matches = message === undefined || (typeof message === 'string' ? error.message.includes(message) : message.test(error.message));
    if (!matches) {
      throw new DomainAssertionError(
        `${this.#context}: expected ${wanted}, but the message was ${JSON.stringify(error.message)}`,
        message,
        error.message,
      );
    }
    return error as unknown as E;
  }
}

/** The state before the command under test; `when` runs a command against it. */
export class Given<D extends Domain<object, object>> {
  readonly #domain: D;
  readonly #current: Current | undefined;
  readonly #aggregateId: string | undefined;
  readonly #description: string;

  /** @internal Built by `given(…)`. */
  constructor(domain: D, current: Current | undefined, aggregateId: string | undefined, description: string) {
    this.#domain = domain;
    this.#current = current;
    this.#aggregateId = aggregateId;
    this.#description = description;
  }

  /** The state the command under test will see (`undefined` when the aggregate does not exist). */
  get state(): StateOf<D> | undefined {
    return this.#current?.state as StateOf<D> | undefined;
  }

  /** Runs the command under test. Its outcome is checked with `then` / `thenEvent`. */
  when<K extends CommandName<D>>(type: K, payload: PayloadOf<D, K>): When<D> {
    const context = `given ${this.#description}, when ${String(type)} ${renderPayload(payload)}`;
    const built = this.#aggregateId;
    const outcome = execute(this.#domain, this.#current, type, payload, (aggregateId) => {
      if (built !== undefined && aggregateId !== built) {
        throw new InvalidArgumentError(`${context}: the command targets ${aggregateId}, but the given commands built ${built}`, {
          type: String(type),
          aggregateId,
          givenAggregateId: built,
        });
      }
    });
    return new When<D>(outcome, context);
  }
}

function renderPayload(payload: unknown): string {
  try {
    return renderJson(toJson(payload, 'payload'));
  } catch {
    return String(payload);
  }
}

function replayGiven(domain: Domain<object, object>, commands: readonly unknown[]): { current: Current | undefined; aggregateId: string | undefined } {
  let current: Current | undefined;
  let aggregateId: string | undefined;
  commands.forEach((entry, i) => {
    const where = `given(): command #${i + 1}`;
    if (!Array.isArray(entry) || entry.length !== 2 || typeof entry[0] !== 'string') {
      throw new InvalidArgumentError(`${where} must be a [type, payload] pair, got ${renderPayload(entry)}`);
    }
    const [type, payload] = entry as [string, unknown];
    const outcome = execute(domain, current, type, payload, (target) => {
      if (aggregateId !== undefined && target !== aggregateId) {
        throw new InvalidArgumentError(`${where} (${type}) targets ${target}, but the commands before it targeted ${aggregateId}`, {
          command: i + 1,
          type,
          aggregateId: target,
          givenAggregateId: aggregateId,
        });
      }
    });
    if (!outcome.ok) {
      throw new InvalidArgumentError(`${where} (${type} ${renderPayload(payload)}) was rejected: ${describeError(outcome.error)}`, {
        command: i + 1,
        type,
        causeCode: outcome.error.code,
        cause: outcome.error.message,
      });
    }
    const { event } = outcome;
    const problem = replayProblem(event);
    // The domain, not the history, is at fault here: the same check `then` makes on the command under test.
    if (problem !== undefined) throw new DomainAssertionError(`${where} (${type} on ${event.aggregateId}): ${problem}`, event.state, event.patch);
    aggregateId = event.aggregateId;
    current = { state: event.state, version: event.version };
  });
  return { current, aggregateId };
}

/**
 * Starts a domain test. `history` is the aggregate's state before the
 * command under test, `undefined` (or nothing) for an aggregate that never
 * existed, or a list of earlier commands that are run first:
 *
 * ```ts
 * given(orderDomain, [['CreateOrder', { id: 'ORD-1', total: 10, items: 1, shipTo: 'Oslo' }]])
 *   .when('ConfirmOrder', { id: 'ORD-1' })
 *   .then({ id: 'ORD-1', status: 'Confirmed', total: 10, items: 1, ship_to: 'Oslo' });
 * given(orderDomain).when('ConfirmOrder', { id: 'ORD-1' }).then(ValidationError, 'does not exist');
 * ```
 */
export function given<D extends Domain<object, object>>(domain: D, history?: GivenHistory<D>): Given<D> {
  assertDomain(domain, 'given(domain)');
  if (history === undefined) return new Given(domain, undefined, undefined, `no ${domain.aggregate}`);
  if (Array.isArray(history)) {
    const { current, aggregateId } = replayGiven(domain, history);
    const types = (history as ReadonlyArray<readonly [string, unknown]>).map(([type]) => type);
    const description = types.length === 0 ? `no ${domain.aggregate}` : `${types.join(', ')}`;
    return new Given(domain, current, aggregateId, description);
  }
  if (!isPlainObject(history)) {
    throw new InvalidArgumentError(`given(): history must be a state object, a list of [type, payload] commands or undefined, got ${history === null ? 'null' : typeof history}`);
  }
  let state: JsonObject;
  try {
    state = toJson(history, 'state', true) as JsonObject;
  } catch (thrown) {
    if (!(thrown instanceof NotJsonError)) throw thrown;
    throw new InvalidArgumentError(`given(): the state is not JSON data: ${thrown.message}`);
  }
  return new Given(domain, { state, version: 1 }, undefined, `${domain.aggregate} ${renderJson(state)}`);
}
