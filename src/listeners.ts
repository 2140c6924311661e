/**
 * Waiting on the bus: `listen` as an async iterator and `waitFor` as a
 * promise, both built on ordinary subscriptions that remove themselves.
 * When the engine closes, iterators end and pending waits reject.
 */
import { whenAborted } from './abort-watch.js';
import { describeValue } from './describe-value.js';
import { AbortError, InvalidArgumentError, ShuttingDownError, TimeoutError } from './errors.js';
import type { EventBus } from './event-bus.js';
import { FORGOTTEN_EVENT, type StoredEvent } from './event.js';
import { compilePattern, type EventPattern } from './event-pattern.js';
import { Subscription, type EventHandler, type SubscriptionHooks, type SubscriptionSettings } from './subscription.js';
import { isPlainObject } from './json.js';
import { rejectUnknownKeys } from './options.js';
import { checkTimeout, startTimeout } from './timeouts.js';

export interface ListenOptions {
  /** End after this many events. @default unlimited (end with `return()` or `break`) */
  readonly count?: number;
}

export interface WaitForOptions {
  /** Reject with `TimeoutError` after this long: whole milliseconds up to 2147483647, or `Infinity`. @default no limit */
  readonly timeoutMs?: number;
  /** Reject with `AbortError` when it fires. */
  readonly signal?: AbortSignal;
}

function checkOptions(options: unknown, known: string[], call: string): Record<string, unknown> {
  if (options === undefined) return {};
  if (!isPlainObject(options)) throw new InvalidArgumentError(`${call}: options must be an object`);
  rejectUnknownKeys(options, known, `${call} option`, InvalidArgumentError);
  return options;
}

type Forgotten = (tombstone: StoredEvent, erased: Promise<boolean>) => void;

/** A subscription that also tells its iterator when an aggregate is being forgotten (see {@link Subscription.forgotten}). */
class ListenSubscription extends Subscription {
  readonly #onForgotten: Forgotten;

  constructor(settings: SubscriptionSettings, hooks: SubscriptionHooks, onForgotten: Forgotten) {
    super(settings, hooks);
    this.#onForgotten = onForgotten;
  }

  override forgotten(tombstone: StoredEvent, erased: Promise<boolean>): void {
    super.forgotten(tombstone, erased);
    this.#onForgotten(tombstone, erased);
  }
}

/**
 * Matching events as an async iterator, in arrival order. Events are
 * buffered until read, and count towards `maxPendingDeliveries` meanwhile
 * (an iterator nobody reads holds back the shards); the subscription ends
 * after `count` events, on `return()` (a `break` out of `for await`), or
 * when the engine closes (the events already buffered are still read).
 */
export function listen<S extends object>(bus: EventBus, pattern: EventPattern, options?: ListenOptions): AsyncIterableIterator<StoredEvent<S>> {
  const { count } = checkOptions(options, ['count'], 'listen');
  if (count !== undefined && (typeof count !== 'number' || !Number.isInteger(count) || count < 1)) {
    throw new InvalidArgumentError(`listen option count must be an integer >= 1, got ${describeValue(count)}`);
  }
  const limit = (count as number | undefined) ?? Number.POSITIVE_INFINITY;
  const buffered: StoredEvent<S>[] = [];
  const readers: Array<(result: IteratorResult<StoredEvent<S>>) => void> = [];
  /** Unread events of aggregates being forgotten, each list until its erasure has run. */
  const setAside = new Set<StoredEvent<S>[]>();
  let received = 0;
  let ended = false;
  // A set-aside event, still counted unread: to a waiting reader, or back in the buffer.
  const handBack = (event: StoredEvent<S>): void => {
    const reader = readers.shift();
    if (reader === undefined) return void buffered.push(event);
    bus.unreadChanged(subscription, event.shard, -1);
    reader({ value: event, done: false });
  };
  // As a subscription's queued events (Subscription.forgotten): dropped once erased, read after all if the erasure failed.
  // An earlier life's tombstone stays: it tells of an erasure already done, and every erasure gets its own.
  const forgotten: Forgotten = (tombstone, erased) => {
    const goes = (event: StoredEvent<S>): boolean => event.aggregateId === tombstone.aggregateId && event.name !== FORGOTTEN_EVENT;
    const aside = buffered.filter(goes);
    if (aside.length === 0) return;
    buffered.splice(0, buffered.length, ...buffered.filter((event) => !goes(event)));
    setAside.add(aside);
    void erased.then((done) => {
      if (!setAside.delete(aside)) return;
      for (const event of aside) {
        if (done) bus.unreadChanged(subscription, event.shard, -1);
        else handBack(event);
      }
    });
  };
  const onEvent: EventHandler<object> = (stored) => {
    const event = stored as StoredEvent<S>;
    if (ended || received >= limit) return;
    received++;
    const reader = readers.shift();
    if (reader !== undefined) reader({ value: event, done: false });
    else {
      buffered.push(event);
      // Unread events hold back the shards like a slow handler would, so an iterator read slowly cannot grow memory without bound.
      bus.unreadChanged(subscription, event.shard, 1);
    }
    if (received >= limit) stop();
  };
  const settings = { name: `listen(${String(pattern)})`, matches: compilePattern(pattern), timeoutMs: undefined, fallback: undefined };
  const subscription = bus.add(new ListenSubscription({ ...settings, handler: onEvent }, bus.subscriptionHooks(), forgotten));
  function stop(): void {
    if (subscription.active) bus.remove(subscription);
    ended = true;
    if (buffered.length === 0) for (const reader of readers.splice(0)) reader({ value: undefined, done: true });
  }
  subscription.onClose(stop);
  const iterator: AsyncIterableIterator<StoredEvent<S>> = {
    next(): Promise<IteratorResult<StoredEvent<S>>> {
      const event = buffered.shift();
      if (event !== undefined) {
        bus.unreadChanged(subscription, event.shard, -1);
        return Promise.resolve({ value: event, done: false });
      }
      if (ended) return Promise.resolve({ value: undefined, done: true });
      return new Promise((resolve) => readers.push(resolve));
    },
    return(): Promise<IteratorResult<StoredEvent<S>>> {
      for (const event of [...buffered.splice(0), ...[...setAside].flat()]) bus.unreadChanged(subscription, event.shard, -1);
      setAside.clear();
      stop();
      return Promise.resolve({ value: undefined, done: true });
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}

function checkWaitForOptions(options: unknown): { limit: number; signal: AbortSignal | undefined } {
  const { timeoutMs, signal } = checkOptions(options, ['timeoutMs', 'signal'], 'waitFor');
  const limit = timeoutMs === undefined ? Infinity : checkTimeout(timeoutMs, { option: 'timeoutMs', what: 'waitFor option timeoutMs', min: 1, unlimited: true });
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new InvalidArgumentError('waitFor option signal must be an AbortSignal');
  return { limit, signal: signal as AbortSignal | undefined };
}

/**
 * The next matching event; `TimeoutError` after `timeoutMs`, `AbortError`
 * when `signal` fires, `ShuttingDownError` when the engine closes first.
 */
export function waitFor<S extends object>(bus: EventBus, pattern: EventPattern, options?: WaitForOptions): Promise<StoredEvent<S>> {
  // A promise-returning call reports bad input as a rejection, so one `.catch` (or `await`) sees every failure.
  let limit: number;
  let abortSignal: AbortSignal | undefined;
  try {
    ({ limit, signal: abortSignal } = checkWaitForOptions(options));
  } catch (error) {
    return Promise.reject(error as Error);
  }
  if (abortSignal?.aborted === true) return Promise.reject(new AbortError(`waitFor(${String(pattern)}): the signal was already aborted`));
  return new Promise((resolve, reject) => {
    let cancelTimeout = (): void => undefined;
    let stopWatching: (() => void) | undefined;
    let done = false;
    // The first outcome wins; removing the subscription then closes it, which must not count as another.
    const settle = (outcome: () => void): void => {
      if (done) return;
      done = true;
      cancelTimeout();
      stopWatching?.();
      if (subscription.active) bus.remove(subscription);
      outcome();
    };
    const subscription = bus.subscribe<S>(pattern, (event) => settle(() => resolve(event)), { name: `waitFor(${String(pattern)})` });
    // A closed bus settles at once: nothing more to start then.
    subscription.onClose(() => settle(() => reject(new ShuttingDownError(`waitFor(${String(pattern)}): the engine closed before a matching event came`))));
    if (done) return;
    stopWatching = abortSignal && whenAborted(abortSignal, () => settle(() => reject(new AbortError(`waitFor(${String(pattern)}) was aborted`))));
    cancelTimeout = startTimeout(limit, () =>
      settle(() => reject(new TimeoutError(`waitFor(${String(pattern)}) saw no matching event within ${limit} ms`, { timeoutMs: limit }))),
    );
  });
}

/**
 * Resolves once every subscriber has handled `event`, for `sendAndWait`. A
 * subscriber that left meanwhile no longer counts; one that the engine's
 * shutdown closed first never handled it, which the caller waited to know:
 * that rejects, saying the command is stored.
 */
export async function untilHandled(bus: EventBus, event: StoredEvent<object>, closing: () => boolean): Promise<void> {
  if ((await bus.whenHandled(event)) || !closing()) return;
  throw new ShuttingDownError(
    `the engine closed before every subscriber handled ${event.name} v${event.version} of ${event.aggregateId}; the command is stored (event ${event.id})`,
    { executed: true, eventId: event.id, position: event.position },
  );
}
