/**
 * The main-thread bus: delivers committed events to subscribers. Each
 * subscriber gets each aggregate's events in version order, and a handler's
 * returned promise is awaited before that aggregate's next event goes to it;
 * different aggregates run concurrently. A failing or timed-out handler
 * triggers its fallback and the engine's error hook, and delivery goes on.
 */
import { InvalidArgumentError } from './errors.js';
import type { StoredEvent } from './event.js';
import { compilePattern, type EventMatcher, type EventPattern } from './event-pattern.js';
import type { JsonObject } from './json.js';
import { rejectUnknownKeys } from './options.js';

export interface HandlerContext {
  /** Fires when the handler exceeds its subscription's `timeoutMs`. */
  readonly signal: AbortSignal;
}

export type EventHandler<S extends object = JsonObject> = (event: StoredEvent<S>, context: HandlerContext) => void | Promise<void>;

export interface SubscribeOptions<S extends object = JsonObject> {
  /** Name used in error reports and stats. @default the pattern as text */
  readonly name?: string;
  /** Longest a handler may run per event before its signal fires and it counts as failed. @default no limit */
  readonly timeoutMs?: number;
  /** Called after the handler throws, rejects or times out, before the engine's `onHandlerError`. */
  readonly fallback?: (error: unknown, event: StoredEvent<S>) => void | Promise<void>;
}

export class HandlerTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`handler did not settle within ${timeoutMs} ms`);
  }
}

/** Counts the deliveries of one `publish` call that are still unsettled. */
interface PublishTracker {
  remaining: number;
  readonly done: () => void;
}

interface Delivery {
  readonly event: StoredEvent;
  readonly tracker: PublishTracker | undefined;
}

interface Subscription {
  readonly name: string;
  readonly matches: EventMatcher;
  readonly handler: EventHandler<object>;
  readonly timeoutMs: number | undefined;
  readonly fallback: ((error: unknown, event: StoredEvent<object>) => void | Promise<void>) | undefined;
  /** Events waiting per aggregate; an aggregate has an entry only while it is being delivered. */
  readonly queues: Map<string, Delivery[]>;
  active: boolean;
  delivered: number;
  failed: number;
}

export interface SubscriberStats {
  readonly name: string;
  readonly delivered: number;
  readonly failed: number;
  /** Events queued for this subscriber and not yet handled. */
  readonly pending: number;
}

const NEVER_ABORTED = new AbortController().signal;

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

export class EventBus {
  readonly #subscriptions = new Set<Subscription>();
  readonly #onHandlerError: (error: unknown, event: StoredEvent, subscription: string) => void;
  /** Deliveries queued or running; `drain()` waits for zero. */
  #outstanding = 0;
  #drainWaiters: Array<() => void> = [];
  published = 0;

  constructor(onHandlerError: (error: unknown, event: StoredEvent, subscription: string) => void) {
    this.#onHandlerError = onHandlerError;
  }

  subscribe<S extends object>(pattern: EventPattern, handler: EventHandler<S>, options: SubscribeOptions<S> = {}): () => void {
    const matches = compilePattern(pattern);
    if (typeof handler !== 'function') throw new InvalidArgumentError(`subscribe() needs a handler function, got ${typeof handler}`);
    if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('subscribe() options must be an object');
    rejectUnknownKeys(options, ['name', 'timeoutMs', 'fallback'], 'subscribe option', InvalidArgumentError);
    const { timeoutMs, fallback, name } = options;
    if (timeoutMs !== undefined && (typeof timeoutMs !== 'number' || !(timeoutMs > 0) || !Number.isFinite(timeoutMs))) {
      throw new InvalidArgumentError(`subscribe option timeoutMs must be a positive number of milliseconds, got ${String(timeoutMs)}`);
    }
    if (fallback !== undefined && typeof fallback !== 'function') throw new InvalidArgumentError('subscribe option fallback must be a function');
    if (name !== undefined && (typeof name !== 'string' || name.length === 0)) {
      throw new InvalidArgumentError('subscribe option name must be a non-empty string');
    }
    const subscription: Subscription = {
      name: name ?? String(pattern),
      matches,
      handler: handler as EventHandler<object>,
      timeoutMs,
      fallback: fallback as Subscription['fallback'],
      queues: new Map(),
      active: true,
      delivered: 0,
      failed: 0,
    };
    this.#subscriptions.add(subscription);
    return () => {
      if (!subscription.active) return;
      subscription.active = false;
      this.#subscriptions.delete(subscription);
      // Events not yet handled are dropped; they stay stored.
      for (const queue of subscription.queues.values()) for (const delivery of queue) this.#settle(delivery);
      subscription.queues.clear();
    };
  }

  /**
   * Hands committed events (in commit order) to every matching subscriber.
   * `onHandled` runs once every delivery of these events has settled (at
   * once when nobody subscribes to them).
   */
  publish(events: readonly StoredEvent[], onHandled?: () => void): void {
    this.published += events.length;
    const tracker: PublishTracker | undefined = onHandled === undefined ? undefined : { remaining: 1, done: onHandled };
    if (this.#subscriptions.size > 0) {
      for (const subscription of this.#subscriptions) {
        for (const event of events) {
          if (!subscription.matches(event.name)) continue;
          this.#outstanding++;
          if (tracker !== undefined) tracker.remaining++;
          const delivery: Delivery = { event, tracker };
          const queue = subscription.queues.get(event.aggregateId);
          if (queue !== undefined) {
            queue.push(delivery);
            continue;
          }
          subscription.queues.set(event.aggregateId, [delivery]);
          this.#pump(subscription, event.aggregateId);
        }
      }
    }
    // The initial count of 1 keeps the tracker open until every delivery was queued.
    if (tracker !== undefined && --tracker.remaining === 0) tracker.done();
  }

  /** Resolves when every event published so far has been handled by every subscriber. */
  drain(): Promise<void> {
    if (this.#outstanding === 0) return Promise.resolve();
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }

  stats(): SubscriberStats[] {
    return [...this.#subscriptions].map((s) => {
      let pending = 0;
      for (const queue of s.queues.values()) pending += queue.length;
      return { name: s.name, delivered: s.delivered, failed: s.failed, pending };
    });
  }

  /** Delivers one aggregate's queued events to one subscriber, one at a time. */
  #pump(subscription: Subscription, aggregateId: string): void {
    const queue = subscription.queues.get(aggregateId);
    while (queue !== undefined && queue.length > 0 && subscription.active) {
      const delivery = queue[0]!;
      const outcome = this.#invoke(subscription, delivery.event);
      if (outcome !== undefined) {
        void outcome.then(() => {
          if (!subscription.active) return;
          queue.shift();
          this.#settle(delivery);
          this.#pump(subscription, aggregateId);
        });
        return;
      }
      queue.shift();
      this.#settle(delivery);
    }
    if (queue !== undefined && queue.length === 0) subscription.queues.delete(aggregateId);
  }

  /** Runs the handler; returns a promise only when it must be awaited. Never rejects. */
  #invoke(subscription: Subscription, event: StoredEvent): Promise<void> | undefined {
    const controller = subscription.timeoutMs === undefined ? undefined : new AbortController();
    let result: unknown;
    try {
      result = subscription.handler(event, { signal: controller?.signal ?? NEVER_ABORTED });
    } catch (thrown) {
      return this.#fail(subscription, event, thrown);
    }
    if (!isThenable(result)) {
      subscription.delivered++;
      return undefined;
    }
    const handled = Promise.resolve(result).then(
      () => {
        subscription.delivered++;
      },
      (thrown: unknown) => this.#fail(subscription, event, thrown),
    );
    if (controller === undefined) return handled;
    const timeoutMs = subscription.timeoutMs!;
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        const timeout = new HandlerTimeoutError(timeoutMs);
        controller.abort(timeout);
        void (this.#fail(subscription, event, timeout) ?? Promise.resolve()).then(resolve);
      }, timeoutMs);
      void handled.then(() => {
        if (controller.signal.aborted) return;
        clearTimeout(timer);
        resolve();
      });
    });
  }

  #fail(subscription: Subscription, event: StoredEvent, error: unknown): Promise<void> | undefined {
    subscription.failed++;
    const report = (): void => {
      try {
        this.#onHandlerError(error, event, subscription.name);
      } catch {
        // An error hook that throws must not stop delivery.
      }
    };
    if (subscription.fallback === undefined) {
      report();
      return undefined;
    }
    let fallbackResult: unknown;
    try {
      fallbackResult = subscription.fallback(error, event);
    } catch (fallbackError) {
      report();
      this.#reportFallbackFailure(subscription, event, fallbackError);
      return undefined;
    }
    if (!isThenable(fallbackResult)) {
      report();
      return undefined;
    }
    return Promise.resolve(fallbackResult).then(report, (fallbackError: unknown) => {
      report();
      this.#reportFallbackFailure(subscription, event, fallbackError);
    });
  }

  #reportFallbackFailure(subscription: Subscription, event: StoredEvent, error: unknown): void {
    try {
      this.#onHandlerError(error, event, `${subscription.name} (fallback)`);
    } catch {
      // see #fail
    }
  }

  #settle(delivery: Delivery): void {
    if (delivery.tracker !== undefined && --delivery.tracker.remaining === 0) delivery.tracker.done();
    this.#outstanding--;
    if (this.#outstanding === 0 && this.#drainWaiters.length > 0) for (const wake of this.#drainWaiters.splice(0)) wake();
  }
}
