/**
 * One subscriber on the bus: its pattern, its handler, and a queue per
 * aggregate. Each aggregate's events reach the handler one at a time, in the
 * order offered; a returned promise is awaited before the next event of that
 * aggregate. Failures and timeouts go to the fallback, then the error hook.
 */
import { HandlerTimeoutError } from './errors.js';
import type { StoredEvent } from './event.js';
import type { EventMatcher } from './event-pattern.js';
import type { JsonObject } from './json.js';

export interface HandlerContext {
  /** Fires when the handler exceeds its subscription's `timeoutMs`. */
  readonly signal: AbortSignal;
}

export type EventHandler<S extends object = JsonObject> = (event: StoredEvent<S>, context: HandlerContext) => void | Promise<void>;

export type Fallback<S extends object = JsonObject> = (error: unknown, event: StoredEvent<S>) => void | Promise<void>;

export type HandlerErrorHook = (error: unknown, event: StoredEvent, subscription: string) => void;

/** What `whenHandled` needs to know of an event. */
export type HandledQuery = Pick<StoredEvent, 'id' | 'aggregateId' | 'shard' | 'position' | 'name'>;

/** One event waiting for, or in, one subscriber's handler. */
export interface Delivery {
  readonly event: StoredEvent;
  /**
   * Runs once the handler (and any fallback) settled, or the event's
   * aggregate was forgotten before the handler got it, with `handled` true
   * (a checkpoint may pass it); or when the subscriber left before handling
   * it, with `handled` false.
   */
  readonly onSettled?: (handled: boolean) => void;
  /** Callers of `whenHandled` waiting on this delivery, told whether the handler got it. */
  waiters?: Array<(handled: boolean) => void>;
}

export interface SubscriptionSettings {
  readonly name: string;
  readonly matches: EventMatcher;
  readonly handler: EventHandler<object>;
  readonly timeoutMs: number | undefined;
  readonly fallback: Fallback<object> | undefined;
}

export interface SubscriptionHooks {
  readonly onHandlerError: HandlerErrorHook;
  /** Every delivery that settles, for the bus's drain and backpressure counts. */
  readonly onSettled: () => void;
}

const NEVER_ABORTED = new AbortController().signal;

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

export class Subscription {
  readonly name: string;
  readonly matches: EventMatcher;
  readonly #settings: SubscriptionSettings;
  readonly #hooks: SubscriptionHooks;
  readonly #queues = new Map<string, Delivery[]>();
  /** Deliveries of aggregates being forgotten, set aside until their erasure has run (see {@link forgotten}). */
  readonly #parked = new Map<string, Delivery[]>();
  #closeListeners: Array<() => void> = [];
  #belowWaiters: Array<{ readonly limit: number; readonly wake: () => void }> = [];
  active = true;
  delivered = 0;
  failed = 0;
  pending = 0;
  /** Unsettled deliveries per shard index. */
  readonly pendingByShard: number[] = [];
  /** Events a `listen()` iterator received and has not read yet, in all and per shard index. */
  unread = 0;
  readonly unreadByShard: number[] = [];

  constructor(settings: SubscriptionSettings, hooks: SubscriptionHooks) {
    this.name = settings.name;
    this.matches = settings.matches;
    this.#settings = settings;
    this.#hooks = hooks;
  }

  /**
   * Offers a live event. Returns whether a delivery was queued (the bus
   * counts it until settled).
   */
  offer(event: StoredEvent, onSettled?: () => void): boolean {
    if (!this.active || !this.matches(event.name)) return false;
    this.enqueue(onSettled === undefined ? { event } : { event, onSettled });
    return true;
  }

  enqueue(delivery: Delivery): void {
    this.pending++;
    const shard = delivery.event.shard;
    this.pendingByShard[shard] = (this.pendingByShard[shard] ?? 0) + 1;
    this.#place(delivery);
  }

  /** Puts a counted delivery behind its aggregate's others, or aside (see {@link forgotten}) unless a tombstone (position 0), which the erasure awaits. */
  #place(delivery: Delivery): void {
    const aggregateId = delivery.event.aggregateId;
    const parked = this.#parked.size === 0 || delivery.event.position === 0 ? undefined : this.#parked.get(aggregateId);
    const waiting = parked ?? this.#queues.get(aggregateId);
    if (waiting !== undefined) return void waiting.push(delivery);
    this.#queues.set(aggregateId, [delivery]);
    this.#pump(aggregateId);
  }

  unreadChanged(shard: number, change: 1 | -1): void {
    this.unread += change;
    this.unreadByShard[shard] = (this.unreadByShard[shard] ?? 0) + change;
  }

  /** Resolves once this subscriber has handled `event` (false: it closed first), at once when it is not queued here. */
  whenHandled(event: HandledQuery): Promise<boolean> | undefined {
    const found = (queued: Delivery[] | undefined): Delivery | undefined => queued?.find((d) => d.event.id === event.id);
    const delivery = found(this.#queues.get(event.aggregateId)) ?? found(this.#parked.get(event.aggregateId));
    if (delivery === undefined) return undefined;
    return new Promise((resolve) => (delivery.waiters ??= []).push(resolve));
  }

  /**
   * The tombstone's aggregate is being erased: its events waiting for the
   * handler, and those queued until the erasure has run, are set aside (after
   * the `onForget` handlers cleaned up, they would bring the erased data back
   * into read models), then dropped, or handed over if the erasure failed.
   * The event whose handler is running (the head of the queue) stays, and so
   * does an earlier life's tombstone, as one arriving now would (see #place).
   */
  forgotten({ aggregateId }: StoredEvent, erased: Promise<boolean>): void {
    const behind = this.#queues.get(aggregateId)?.splice(1) ?? [];
    this.#queues.get(aggregateId)?.push(...behind.filter((delivery) => delivery.event.position === 0));
    const parked = behind.filter((delivery) => delivery.event.position !== 0);
    this.#parked.set(aggregateId, parked);
    void erased.then((done) => {
      // Closed meanwhile: close() settled them.
      if (this.#parked.get(aggregateId) !== parked) return;
      this.#parked.delete(aggregateId);
      if (done) for (const delivery of parked) this.#settle(delivery);
      else for (const delivery of parked) this.#place(delivery);
    });
  }

  /** Stops delivery; queued events are dropped (they stay stored, and a durable subscription's checkpoint stays before them). */
  close(): void {
    if (!this.active) return;
    this.active = false;
    for (const queue of [...this.#queues.values(), ...this.#parked.values()]) for (const delivery of queue) this.#settle(delivery, false);
    this.#queues.clear();
    this.#parked.clear();
    for (const listener of this.#closeListeners.splice(0)) listener();
  }

  /** Calls `listener` once this subscription closes, whoever closes it (at once if it already has). */
  onClose(listener: () => void): void {
    if (!this.active) listener();
    else this.#closeListeners.push(listener);
  }

  #pump(aggregateId: string): void {
    const queue = this.#queues.get(aggregateId);
    while (queue !== undefined && queue.length > 0 && this.active) {
      const delivery = queue[0]!;
      const outcome = this.#invoke(delivery.event);
      if (outcome !== undefined) {
        void outcome.then(() => {
          // close() already settled everything that was queued.
          if (!this.active) return;
          queue.shift();
          this.#settle(delivery);
          this.#pump(aggregateId);
        });
        return;
      }
      // A handler that unsubscribed its own subscription: close() settled the queue.
      if (!this.active) return;
      queue.shift();
      this.#settle(delivery);
    }
    if (queue !== undefined && queue.length === 0) this.#queues.delete(aggregateId);
  }

  /** Resolves once fewer than `limit` deliveries are unsettled (or the subscription closed). */
  whenPendingBelow(limit: number): Promise<void> | undefined {
    if (this.pending < limit || !this.active) return undefined;
    return new Promise((wake) => this.#belowWaiters.push({ limit, wake }));
  }

  #settle(delivery: Delivery, handled = true): void {
    this.pending--;
    this.pendingByShard[delivery.event.shard]!--;
    if (this.#belowWaiters.length > 0) {
      const ready = this.#belowWaiters.filter((w) => this.pending < w.limit || !this.active);
      this.#belowWaiters = this.#belowWaiters.filter((w) => !ready.includes(w));
      for (const waiter of ready) waiter.wake();
    }
    delivery.onSettled?.(handled);
    if (delivery.waiters !== undefined) for (const wake of delivery.waiters) wake(handled);
    this.#hooks.onSettled();
  }

  /** Runs the handler; returns a promise only when it must be awaited. Never rejects. */
  #invoke(event: StoredEvent): Promise<void> | undefined {
    const { handler, timeoutMs } = this.#settings;
    const controller = timeoutMs === undefined ? undefined : new AbortController();
    let result: unknown;
    try {
      result = handler(event, { signal: controller?.signal ?? NEVER_ABORTED });
    } catch (thrown) {
      return this.#fail(event, thrown);
    }
    if (!isThenable(result)) {
      this.delivered++;
      return undefined;
    }
    if (controller === undefined || timeoutMs === undefined) {
      return Promise.resolve(result).then(
        () => {
          this.delivered++;
        },
        (thrown: unknown) => this.#fail(event, thrown),
      );
    }
    return new Promise<void>((resolve) => {
      // The first of the handler's settling and the timeout decides the event's outcome; the other is ignored,
      // so an event is never counted (or sent to the fallback) twice.
      let decided = false;
      const failWith = (error: unknown): void => {
        void (this.#fail(event, error) ?? Promise.resolve()).then(resolve);
      };
      const timer = setTimeout(() => {
        if (decided) return;
        decided = true;
        const timeout = new HandlerTimeoutError(
          `subscription ${this.name}: the handler of ${event.name} ${event.aggregateId} v${event.version} did not settle within ${timeoutMs} ms`,
          { subscription: this.name, event: event.name, aggregateId: event.aggregateId, version: event.version, timeoutMs },
        );
        controller.abort(timeout);
        // A hung handler must not hold up this aggregate: move on after the fallback.
        failWith(timeout);
      }, timeoutMs);
      Promise.resolve(result).then(
        () => {
          if (decided) return;
          decided = true;
          clearTimeout(timer);
          this.delivered++;
          resolve();
        },
        (thrown: unknown) => {
          if (decided) return;
          decided = true;
          // The fallback's own time is not the handler's.
          clearTimeout(timer);
          failWith(thrown);
        },
      );
    });
  }

  #fail(event: StoredEvent, error: unknown): Promise<void> | undefined {
    this.failed++;
    const report = (reported: unknown, name: string): void => {
      try {
        this.#hooks.onHandlerError(reported, event, name);
      } catch {
        // An error hook that throws must not stop delivery.
      }
    };
    const fallback = this.#settings.fallback;
    if (fallback === undefined) {
      report(error, this.name);
      return undefined;
    }
    let result: unknown;
    try {
      result = fallback(error, event);
    } catch (fallbackError) {
      report(error, this.name);
      report(fallbackError, `${this.name} (fallback)`);
      return undefined;
    }
    if (!isThenable(result)) {
      report(error, this.name);
      return undefined;
    }
    return Promise.resolve(result).then(
      () => report(error, this.name),
      (fallbackError: unknown) => {
        report(error, this.name);
        report(fallbackError, `${this.name} (fallback)`);
      },
    );
  }
}
