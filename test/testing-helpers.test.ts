/**
 * The `asynx-ts/testing` helpers themselves: what `given` accepts, what each
 * `then` checks, the messages of failed expectations, user-code failures
 * reported as the engine reports them, and (checked by the compiler) that
 * command names and payloads are typed by the domain.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import {
  AsynxError,
  CommandFailedError,
  ConfigError,
  InvalidArgumentError,
  UnknownCommandError,
  ValidationError,
  defineDomain,
} from '../dist/src/index.js';
import { DomainAssertionError, given, type ProducedEvent } from '../dist/src/testing/index.js';
import { replayProblem } from '../dist/src/testing/command-under-test.js';
import { SYNCHRONOUS } from '../dist/src/domain-problems.js';
import { jsonDifferences } from '../dist/src/testing/json-diff.js';
import { orderDomain, type Order } from '../dist/examples/order/domain.js';
import { counterDomain } from '../dist/test/fixtures/counter-domain.js';

const run = promisify(execFile);

const create = { id: 'ORD-1', total: 10, items: 1, shipTo: 'Oslo' } as const;
const pending: Order = { id: 'ORD-1', status: 'Pending', total: 10, items: 1, ship_to: 'Oslo' };

/** The error `fn` throws (fails the test when it throws nothing). */
function thrownBy(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    if (error instanceof Error) return error;
    throw new Error(`threw a non-Error: ${String(error)}`);
  }
  throw new Error('expected a throw, but nothing was thrown');
}

// Never called: only compiled. Each @ts-expect-error line must be a compile error.
export function typeChecks(): void {
  given(orderDomain).when('CreateOrder', create).then(pending);
  given(orderDomain, [['CreateOrder', create], ['ConfirmOrder', { id: 'ORD-1' }]]).when('ShipOrder', { id: 'ORD-1' });
  const event: ProducedEvent<Order> = given(orderDomain).when('CreateOrder', create).thenEvent('OrderCreated');
  const error: ValidationError = given(orderDomain).when('ShipOrder', { id: 'ORD-1' }).then(ValidationError);
  void event;
  void error;

  // @ts-expect-error an unknown command name
  given(orderDomain).when('CancelOrder', { id: 'ORD-1' });
  // @ts-expect-error a payload missing a field
  given(orderDomain).when('CreateOrder', { id: 'ORD-1', total: 10, items: 1 });
  // @ts-expect-error a field of the wrong type
  given(orderDomain).when('CreateOrder', { id: 'ORD-1', total: '10', items: 1, shipTo: 'Oslo' });
  // @ts-expect-error another command's payload
  given(orderDomain).when('ConfirmOrder', { orderId: 'ORD-1' });
  // @ts-expect-error an unknown command in the given list
  given(orderDomain, [['CancelOrder', { id: 'ORD-1' }]]);
  // @ts-expect-error a given state of the wrong shape
  given(orderDomain, { id: 'ORD-1', status: 'Lost' });
  // @ts-expect-error an expected state of the wrong shape
  given(orderDomain).when('CreateOrder', create).then({ id: 'ORD-1', status: 'Pending' });
}

describe('given', () => {
  it('accepts nothing, undefined or an empty list for an aggregate that never existed', () => {
    for (const before of [given(orderDomain), given(orderDomain, undefined), given(orderDomain, [])]) {
      expect(before.state).toBeUndefined();
      expect(before.when('CreateOrder', create).then(pending).version).toBe(1);
    }
  });

  it('accepts a state, which counts as version 1 and is frozen as the engine freezes it', () => {
    const before = given(orderDomain, pending);
    expect(before.state).toEqual(pending);
    expect(before.state).not.toBe(pending);
    expect(Object.isFrozen(before.state)).toBe(true);
    const event = before.when('ConfirmOrder', { id: 'ORD-1' }).then({ ...pending, status: 'Confirmed' });
    expect(event.version).toBe(2);
    expect(event.previousState).toEqual(pending);
  });

  it('runs a list of earlier commands first, one version each', () => {
    const before = given(counterDomain, [
      ['Increment', { id: 'c', by: 1 }],
      ['Increment', { id: 'c', by: 2 }],
    ]);
    expect(before.state).toEqual({ id: 'c', count: 3, log: [1, 2] });
    const event = before.when('Increment', { id: 'c', by: 4 }).then({ id: 'c', count: 7, log: [1, 2, 4] });
    expect(event.version).toBe(3);
    expect(event.patch).toEqual([
      { op: 'add', path: '/log/2', value: 4 },
      { op: 'replace', path: '/count', value: 7 },
    ]);
  });

  it('throws InvalidArgumentError at once when an earlier command is rejected, naming it', () => {
    const error = thrownBy(() => given(orderDomain, [['CreateOrder', create], ['ShipOrder', { id: 'ORD-1' }]]));
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error.message).toBe(
      'given(): command #2 (ShipOrder {"id":"ORD-1"}) was rejected: ValidationError [VALIDATION_FAILED] cannot ship order ORD-1: it is Pending, not Confirmed',
    );
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', details: { command: 2, type: 'ShipOrder', causeCode: 'VALIDATION_FAILED' } });
    expect(() => given(orderDomain, [['Nope' as 'CreateOrder', create]])).toThrow(InvalidArgumentError);
  });

  it('refuses earlier commands for different aggregates, and a command under test for another one, with InvalidArgumentError', () => {
    const mixed = thrownBy(() => given(orderDomain, [['CreateOrder', create], ['CreateOrder', { ...create, id: 'ORD-2' }]]));
    expect(mixed).toBeInstanceOf(InvalidArgumentError);
    expect(mixed.message).toBe('given(): command #2 (CreateOrder) targets ORD-2, but the commands before it targeted ORD-1');
    expect(mixed).toMatchObject({ code: 'INVALID_ARGUMENT', details: { command: 2, type: 'CreateOrder', aggregateId: 'ORD-2', givenAggregateId: 'ORD-1' } });
    const other = thrownBy(() => given(orderDomain, [['CreateOrder', create]]).when('ConfirmOrder', { id: 'ORD-2' }));
    expect(other).toBeInstanceOf(InvalidArgumentError);
    expect(other.message).toBe('given CreateOrder, when ConfirmOrder {"id":"ORD-2"}: the command targets ORD-2, but the given commands built ORD-1');
    expect(other).toMatchObject({ code: 'INVALID_ARGUMENT', details: { type: 'ConfirmOrder', aggregateId: 'ORD-2', givenAggregateId: 'ORD-1' } });
  });

  it('refuses what is not a domain, a state or a command list', () => {
    expect(() => given({} as typeof orderDomain)).toThrow(ConfigError);
    expect(() => given(orderDomain, 'ORD-1' as never)).toThrow('given(): history must be a state object');
    expect(() => given(orderDomain, [['CreateOrder']] as never)).toThrow('given(): command #1 must be a [type, payload] pair');
    expect(() => given(orderDomain, [['CreateOrder']] as never)).toThrow(InvalidArgumentError);
    expect(() => given(orderDomain, { ...pending, at: new Date(0) } as never)).toThrow('given(): the state is not JSON data: state.at is a Date');
  });
});

describe('then(expectedState)', () => {
  it('compares as JSON: key order and properties set to undefined do not matter', () => {
    given(orderDomain)
      .when('CreateOrder', create)
      .then({ ship_to: 'Oslo', items: 1, total: 10, status: 'Pending', id: 'ORD-1', note: undefined } as Order);
  });

  it('returns the produced event with its name, states and stored patch', () => {
    const event = given(orderDomain, [['CreateOrder', create]]).when('ConfirmOrder', { id: 'ORD-1' }).then({ ...pending, status: 'Confirmed' });
    expect(event).toEqual({
      name: 'OrderConfirmed',
      command: 'ConfirmOrder',
      aggregateId: 'ORD-1',
      version: 2,
      state: { ...pending, status: 'Confirmed' },
      previousState: pending,
      patch: [{ op: 'replace', path: '/status', value: 'Confirmed' }],
    });
  });

  it('names every differing path when the state is not the expected one', () => {
    const error = thrownBy(() =>
      given(orderDomain, [['CreateOrder', create]]).when('ConfirmOrder', { id: 'ORD-1' }).then({ ...pending, status: 'Shipped', total: 11 }),
    );
    expect(error).toBeInstanceOf(DomainAssertionError);
    expect(error.name).toBe('DomainAssertionError');
    expect(error.message).toBe(
      [
        'given CreateOrder, when ConfirmOrder {"id":"ORD-1"}: the emitted state differs from the expected state',
        '  state.status: expected "Shipped", got "Confirmed"',
        '  state.total: expected 11, got 10',
        'expected: {"id":"ORD-1","status":"Shipped","total":11,"items":1,"ship_to":"Oslo"}',
        'actual:   {"id":"ORD-1","status":"Confirmed","total":10,"items":1,"ship_to":"Oslo"}',
      ].join('\n'),
    );
    expect((error as DomainAssertionError).expected).toEqual({ ...pending, status: 'Shipped', total: 11 });
    expect((error as DomainAssertionError).actual).toEqual({ ...pending, status: 'Confirmed' });
  });

  it('reports missing and unexpected properties', () => {
    const { ship_to: _dropped, ...withoutShipTo } = pending;
    const error = thrownBy(() => given(orderDomain).when('CreateOrder', create).then({ ...withoutShipTo, notes: 'x' } as unknown as Order));
    expect(error.message).toContain('  state.notes: missing (expected "x")');
    expect(error.message).toContain('  state.ship_to: not expected, got "Oslo"');
  });

  it('says why when the command was rejected instead', () => {
    const error = thrownBy(() => given(orderDomain).when('ConfirmOrder', { id: 'ORD-1' }).then(pending));
    expect(error.message).toBe(
      'given no Order, when ConfirmOrder {"id":"ORD-1"}: expected the state {"id":"ORD-1","status":"Pending","total":10,"items":1,"ship_to":"Oslo"}, ' +
        'but the command was rejected: ValidationError [VALIDATION_FAILED] cannot confirm order ORD-1: it does not exist',
    );
  });

  it('describes a given state in the message', () => {
    const error = thrownBy(() => given(orderDomain, pending).when('ConfirmOrder', { id: 'ORD-1' }).then(pending));
    expect(error.message).toMatch(/^given Order \{"id":"ORD-1","status":"Pending",.*\}, when ConfirmOrder \{"id":"ORD-1"\}: the emitted state differs/);
  });

  it('refuses an expected value that is not a JSON object', () => {
    expect(() => given(orderDomain).when('CreateOrder', create).then({ ...pending, at: new Date(0) } as never)).toThrow(
      'then(): the expected state is not JSON data: expected.at is a Date',
    );
    expect(() => given(orderDomain).when('CreateOrder', create).then([] as never)).toThrow('then() takes the expected state (a plain object)');
    expect(() => given(orderDomain).when('CreateOrder', create).then((() => undefined) as never)).toThrow(
      'then() takes the expected state or an Error class',
    );
  });
});

describe('then(ErrorClass, message?)', () => {
  it('returns the error, with the details the engine adds', () => {
    const error = given(orderDomain).when('CreateOrder', { ...create, total: -1 }).then(ValidationError, /total must be greater than 0, got -1$/);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.details).toEqual({ type: 'CreateOrder', aggregateId: 'ORD-1', field: 'total' });
  });

  it('accepts a base class such as AsynxError', () => {
    expect(given(orderDomain).when('ShipOrder', { id: 'x' }).then(AsynxError)).toBeInstanceOf(ValidationError);
  });

  it('fails when the command succeeded, showing the produced state', () => {
    const error = thrownBy(() => given(orderDomain).when('CreateOrder', create).then(ValidationError));
    expect(error.message).toBe(
      'given no Order, when CreateOrder {"id":"ORD-1","total":10,"items":1,"shipTo":"Oslo"}: expected ValidationError, ' +
        'but the command succeeded with OrderCreated → {"id":"ORD-1","status":"Pending","total":10,"items":1,"ship_to":"Oslo"}',
    );
  });

  it('fails on another error class, naming it', () => {
    const error = thrownBy(() => given(counterDomain).when('Misbehave', { id: 'c', how: 'throw-error' }).then(ValidationError));
    expect(error.message).toBe(
      'given no Counter, when Misbehave {"id":"c","how":"throw-error"}: expected ValidationError, ' +
        'but it failed with CommandFailedError [COMMAND_FAILED] Misbehave on c threw: counter overflowed its imaginary limit',
    );
  });

  it('fails when the message does not contain the string or match the pattern', () => {
    const when = given(orderDomain).when('ShipOrder', { id: 'ORD-1' });
    expect(thrownBy(() => when.then(ValidationError, 'is Pending')).message).toBe(
      'given no Order, when ShipOrder {"id":"ORD-1"}: expected ValidationError with message containing "is Pending", ' +
        'but the message was "cannot ship order ORD-1: it does not exist"',
    );
    expect(thrownBy(() => when.then(ValidationError, /^ship/)).message).toContain('expected ValidationError with message matching /^ship/');
    expect(when.then(ValidationError, 'does not exist')).toBeInstanceOf(ValidationError);
  });
});

describe('thenEvent(name)', () => {
  it('returns the event when the name matches, and fails otherwise', () => {
    expect(given(orderDomain).when('CreateOrder', create).thenEvent('OrderCreated').state).toEqual(pending);
    expect(thrownBy(() => given(orderDomain).when('CreateOrder', create).thenEvent('OrderPlaced')).message).toBe(
      'given no Order, when CreateOrder {"id":"ORD-1","total":10,"items":1,"shipTo":"Oslo"}: expected event OrderPlaced, but the command produced OrderCreated',
    );
    expect(thrownBy(() => given(orderDomain).when('ShipOrder', { id: 'ORD-1' }).thenEvent('OrderShipped')).message).toContain(
      'expected event OrderShipped, but the command was rejected: ValidationError',
    );
  });
});

describe('user-code failures, reported as a shard reports them', () => {
  it.each([
    ['throw-error', 'Misbehave on c threw: counter overflowed its imaginary limit'],
    ['throw-string', 'Misbehave on c threw: a bare string'],
    ['return-null', 'emit of Misbehave on c returned null; it must return the next state as an object'],
    ['return-array', 'emit of Misbehave on c returned an array; it must return the next state as an object'],
    ['return-date', 'emit of Misbehave on c returned state that cannot be stored: state.at is a Date, not a plain object or array'],
    ['validate-promise', `validate of Misbehave on c returned a promise; ${SYNCHRONOUS}`],
    ['emit-promise', `emit of Misbehave on c returned a promise; ${SYNCHRONOUS}`],
  ] as const)('%s: CommandFailedError', (how, message) => {
    const error = given(counterDomain).when('Misbehave', { id: 'c', how }).then(CommandFailedError);
    expect(error.message).toBe(message);
  });

  it('mutating the frozen current state fails the command, as it would in a shard', () => {
    const error = given(counterDomain, [['Increment', { id: 'c', by: 1 }]]).when('Misbehave', { id: 'c', how: 'mutate-current' }).then(CommandFailedError);
    expect(error.message).toMatch(/^Misbehave on c threw: Cannot assign to read only property 'count'/);
  });

  it('a payload that is not JSON data is an InvalidArgumentError, as with send', () => {
    given(orderDomain).when('CreateOrder', { ...create, total: Number.NaN }).then(InvalidArgumentError, 'CreateOrder: payload.total is NaN');
  });

  it('an unknown command type (past the compiler) is an UnknownCommandError', () => {
    given(orderDomain)
      .when('CancelOrder' as 'ShipOrder', { id: 'ORD-1' })
      .then(UnknownCommandError, 'unknown command type CancelOrder; Order defines CreateOrder, ConfirmOrder, ShipOrder');
  });

  it('an aggregateId that throws or returns no ID is reported like the engine does', () => {
    const odd = defineDomain<{ readonly n: number }, { Touch: { readonly id: string } }>({
      url: import.meta.url,
      aggregate: 'Odd',
      commands: {
        Touch: {
          event: 'Touched',
          aggregateId: (p) => {
            if (p.id === 'boom') throw new Error('no id here');
            return p.id;
          },
          emit: (current) => ({ n: (current?.n ?? 0) + 1 }),
        },
      },
    });
    given(odd).when('Touch', { id: 'boom' }).then(CommandFailedError, 'aggregateId() of Touch threw: no id here');
    given(odd).when('Touch', { id: '' }).then(InvalidArgumentError, 'Touch: aggregateId(payload): aggregate ID must not be empty');
    given(odd).when('Touch', { id: 'a' }).then({ n: 1 });
  });

  it("a ValidationError's details come back as plain data, as send's rejection carries them", () => {
    const strict = defineDomain<{ readonly n: number }, { Touch: { readonly id: string } }>({
      url: import.meta.url,
      aggregate: 'Strict',
      commands: {
        Touch: {
          event: 'Touched',
          aggregateId: (p) => p.id,
          validate() {
            throw new ValidationError('closed for the day', { closedAt: new Date(0), rule: function openingHours() {}, cause: new RangeError('late') });
          },
          emit: () => ({ n: 1 }),
        },
      },
    });
    const error = given(strict).when('Touch', { id: 'a' }).then(ValidationError, 'closed for the day');
    expect(error.details).toEqual({
      type: 'Touch',
      aggregateId: 'a',
      closedAt: '1970-01-01T00:00:00.000Z',
      rule: '[function openingHours]',
      cause: '[RangeError: late]',
    });
  });
});

describe('the stored patch round trip', () => {
  it('passes for every command of a rich state', () => {
    const rich = defineDomain<{ readonly tags: readonly string[]; readonly nested: Readonly<Record<string, unknown>> }, { Set: { readonly id: string; readonly tags: string[]; readonly nested: Record<string, unknown> } }>({
      url: import.meta.url,
      aggregate: 'Rich',
      commands: { Set: { event: 'WasSet', aggregateId: (p) => p.id, emit: (_c, p) => ({ tags: p.tags, nested: p.nested }) } },
    });
    given(rich, { tags: ['a', 'b', 'c'], nested: { 'a/b': 1, '~x': [1, { y: 2 }] } })
      .when('Set', { id: 'r', tags: ['c'], nested: { 'a/b': [1], '~x': [1, { y: 3, z: null }] } })
      .then({ tags: ['c'], nested: { 'a/b': [1], '~x': [1, { y: 3, z: null }] } });
  });

  it('reports a patch that would not rebuild the state', () => {
    const problem = replayProblem({
      name: 'OrderConfirmed',
      command: 'ConfirmOrder',
      aggregateId: 'ORD-1',
      version: 2,
      state: { ...pending, status: 'Confirmed' },
      previousState: { ...pending },
      patch: [{ op: 'replace', path: '/total', value: 12 }],
    });
    expect(problem).toBe(
      [
        'the stored patch does not rebuild the emitted state (replaying this aggregate would give another state):',
        '  state.status: expected "Confirmed", got "Pending"',
        '  state.total: expected 10, got 12',
        '  patch: [{"op":"replace","path":"/total","value":12}]',
      ].join('\n'),
    );
    expect(
      replayProblem({ name: 'X', command: 'Y', aggregateId: 'a', version: 1, state: {}, previousState: undefined, patch: [{ op: 'test', path: '/a', value: 1 }] }),
    ).toMatch(/^applying the stored patch to the previous state fails: /);
  });
});

describe('jsonDifferences', () => {
  it('names paths in arrays and odd keys, and caps the list', () => {
    expect(jsonDifferences({ a: [1, 2], 'b c': { d: true } }, { a: [1], 'b c': { d: false } })).toEqual([
      'state.a: expected 2 items, got 1',
      'state.a[1]: missing (expected 2)',
      'state["b c"].d: expected true, got false',
    ]);
    const many = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, i]));
    const lines = jsonDifferences(many, {});
    expect(lines).toHaveLength(13);
    expect(lines[12]).toBe('… and 8 more differences');
  });
});

describe('outside jest', () => {
  it('is not a promise: awaiting given().when() rejects with a clear message', async () => {
    await expect((async () => await (given(orderDomain).when('CreateOrder', create) as unknown as Promise<unknown>))()).rejects.toThrow(
      'this is not a promise; call .then(expectedState) or .then(ErrorClass) on it instead of awaiting it',
    );
  });

  it('loads as asynx-ts/testing and throws plain errors under node:test', async () => {
    const script = `
      import test from 'node:test';
      import assert from 'node:assert/strict';
      import { given, DomainAssertionError } from 'asynx-ts/testing';
      import { ValidationError } from 'asynx-ts';
      import { orderDomain } from './dist/examples/order/domain.js';
      test('passes', () => {
        given(orderDomain).when('CreateOrder', { id: 'A', total: 1, items: 1, shipTo: 'x' }).then(ValidationError, 'nope');
      });
      test('fails as expected', () => {
        assert.throws(() => given(orderDomain).when('ConfirmOrder', { id: 'A' }).then({}), DomainAssertionError);
      });
    `;
    const failing = run(process.execPath, ['--input-type=module', '--test-reporter=tap', '-e', script], { cwd: process.cwd() });
    const result = await failing.then(
      ({ stdout }) => ({ code: 0, stdout }),
      (error: { code: number; stdout: string }) => ({ code: error.code, stdout: error.stdout }),
    );
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/not ok 1 - passes/);
    expect(result.stdout).toMatch(/expected ValidationError with message containing \W+nope\W+ but the command succeeded with OrderCreated/);
    expect(result.stdout).toMatch(/^ok 2 - fails as expected/m);
  });
});
