/**
 * The main-thread bus: hands committed events to subscribers (see
 * subscription.ts for per-aggregate ordering and failure handling), counts
 * what is still being handled for `drain()`, and applies backpressure: past
 * `maxPendingDeliveries` unsettled deliveries, shards hold their next batch
 * until subscribers catch up to half of it, so a slow subscriber slows intake
 * instead of growing memory without limit.
 */
import { InvalidArgumentError } from './errors.js';
import type { StoredEvent } from './event.js';
import { compilePattern, type EventPattern } from './event-pattern.js';
import type { JsonObject } from './json.js';
import { rejectUnknownKeys } from './options.js';
import { checkTimeout } from './timeouts.js';
import { DurableSubscription } from './durable-subscription.js';
import { Subscription, type EventHandler, type Fallback, type HandledQuery, type HandlerErrorHook } from './subscription.js';

export interface SubscribeOptions<S extends object = JsonObject> {
  /** Name used in error reports and stats. @default the pattern as text */
  readonly name?: string;
  /**
   * Longest a handler may run per event before its signal fires and it counts as failed:
   * whole milliseconds up to 2147483647, or `Infinity`.
   * @default no limit
   */
  readonly timeoutMs?: number;
  /** Called after the handler throws, rejects or times out, before the engine's `onHandlerError`. */
  readonly fallback?: Fallback<S>;
}

export interface SubscriberStats {
  readonly name: string;
  readonly delivered: number;
  readonly failed: number;
  /** Events queued for this subscriber and not yet handled. */
  readonly pending: number;
  /**
   * Per shard, how far behind the subscriber is: for a durable subscription the
   * positions between its checkpoint and the shard's last commit, otherwise the
   * events from that shard waiting for the handler.
   */
  readonly lag: number[];
  /** The durable subscription's name, when it is one. */
  readonly durable?: string;
  /** Per shard, the position up to which every event was handled (durable only). */
  readonly checkpoints?: number[];
}

/** A forget between its tombstone and its erasure; `erased` settles with whether the erasure went through. */
export interface PendingErasure {
  readonly tombstone: StoredEvent;
  readonly erased: Promise<boolean>;
}

const SUBSCRIBE_OPTIONS = ['name', 'timeoutMs', 'fallback'];

/**
 * Checks subscribe arguments shared by live and durable subscriptions.
 * Returns the handler's time limit: `undefined` for none (`Infinity` too).
 */
export function checkSubscribeArguments(handler: unknown, options: object, extraKeys: readonly string[] = []): number | undefined {
  if (typeof handler !== 'function') throw new InvalidArgumentError(`subscribe() needs a handler function, got ${typeof handler}`);
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('subscribe() options must be an object');
  rejectUnknownKeys(options, [...SUBSCRIBE_OPTIONS, ...extraKeys], 'subscribe option', InvalidArgumentError);
  const { timeoutMs, fallback, name } = options as SubscribeOptions;
  const limit = timeoutMs === undefined ? Infinity : checkTimeout(timeoutMs, { option: 'timeoutMs', what: 'subscribe option timeoutMs', min: 1, unlimited: true });
  if (fallback !== undefined && typeof fallback !== 'function') throw new InvalidArgumentError('subscribe option fallback must be a function');
  if (name !== undefined && (typeof name !== 'string' || name.length === 0)) {
    throw new InvalidArgumentError('subscribe option name must be a non-empty string');
  }
  return limit === Infinity ? undefined : limit;
}

export class EventBus {
  readonly #subscriptions = new Set<Subscription>();
  /**
   * The subscriptions as a list, made again after a change: `publish` walks
   * the list it started with, so a subscription made by a handler during a
   * publish does not receive the events already being published. (Copying
   * on every subscribe instead made many `waitFor` calls quadratic.)
   */
  #list: readonly Subscription[] | undefined;
  /** Events `listen()` iterators hold unread: they count towards backpressure, not towards `drain()`. */
  #unread = 0;
  /** Set when the engine starts closing: what `close()` finishes must not wait for readers that may read only after it. */
  #closing = false;
  readonly #onHandlerError: HandlerErrorHook;
  readonly #maxPending: number;
  /** Deliveries queued or running; `drain()` waits for zero. */
  #outstanding = 0;
  #drainWaiters: Array<() => void> = [];
  #reliefWaiters: Array<() => void> = [];
  /** Forgets between tombstone and erasure, for durable subscriptions that start meanwhile. */
  readonly #erasing = new Set<PendingErasure>();
  /** Committed events published so far; tombstones are not committed and not counted. */
  published = 0;

  constructor(onHandlerError: HandlerErrorHook, maxPendingDeliveries: number) {
    this.#onHandlerError = onHandlerError;
    this.#maxPending = maxPendingDeliveries;
  }

  get outstanding(): number {
    return this.#outstanding;
  }

  subscribe<S extends object>(pattern: EventPattern, handler: EventHandler<S>, options: SubscribeOptions<S> = {}): Subscription {
    const matches = compilePattern(pattern);
    const timeoutMs = checkSubscribeArguments(handler, options);
    return this.add(
      new Subscription(
        {
          name: options.name ?? String(pattern),
          matches,
          handler: handler as EventHandler<object>,
          timeoutMs,
          fallback: options.fallback as Fallback<object> | undefined,
        },
        this.subscriptionHooks(),
      ),
    );
  }

  /** The hooks a subscription needs to report to this bus. */
  subscriptionHooks(): { onHandlerError: HandlerErrorHook; onSettled: () => void } {
    return { onHandlerError: this.#onHandlerError, onSettled: () => this.#settled() };
  }

  add<T extends Subscription>(subscription: T): T {
    this.#subscriptions.add(subscription);
    this.#list = undefined;
    return subscription;
  }

  remove(subscription: Subscription): void {
    this.#subscriptions.delete(subscription);
    this.#list = undefined;
    subscription.close();
  }

  /** Closes every subscription, for an engine that closed: `listen` iterators end, pending `waitFor` calls reject. */
  close(): void {
    for (const subscription of [...this.#subscriptions]) this.remove(subscription);
  }

  #current(): readonly Subscription[] {
    return (this.#list ??= [...this.#subscriptions]);
  }

  /** Stops counting unread `listen()` events towards backpressure, for an engine that is closing. */
  closing(): void {
    this.#closing = true;
    this.#relieve();
  }

  /** Unread `listen()` events that count towards backpressure now. */
  get #held(): number {
    return this.#closing ? 0 : this.#unread;
  }

  /** A `listen()` iterator buffered (`change` 1), or handed out or dropped (-1), an event of `shard`. */
  unreadChanged(subscription: Subscription, shard: number, change: 1 | -1): void {
    subscription.unreadChanged(shard, change);
    this.#unread += change;
    if (change < 0) this.#relieve();
  }

  /** Counts a delivery queued directly on a subscription (durable catch-up). */
  countDelivery(): void {
    this.#outstanding++;
  }

  /**
   * Hands committed events (in commit order) to every subscriber. `onHandled`
   * runs once every delivery of these events has settled (at once when
   * nobody subscribes to them).
   */
  publish(events: readonly StoredEvent[], onHandled?: () => void): void {
    this.published += events.length;
    this.#offer(events, onHandled);
  }

  /**
   * Hands a forget's tombstone to the subscribers that name it, after every
   * subscriber set aside the aggregate's events still waiting for its handler
   * (see `Subscription.forgotten`); `onHandled` as in `publish`.
   */
  publishTombstone(tombstone: StoredEvent, erased: Promise<boolean>, onHandled: () => void): void {
    const forget: PendingErasure = { tombstone, erased };
    this.#erasing.add(forget);
    void erased.then(() => this.#erasing.delete(forget));
    // Before the tombstone is queued: subscribers that name it still get it, after the event being handled.
    for (const subscription of this.#current()) subscription.forgotten(tombstone, erased);
    this.#offer([tombstone], onHandled);
  }

  /** Forgets whose tombstone went out and whose erasure has not run yet: the log still holds their events. */
  erasing(): Iterable<PendingErasure> {
    return this.#erasing;
  }

  #offer(events: readonly StoredEvent[], onHandled: (() => void) | undefined): void {
    // Starts at 1 so the count cannot reach zero before every delivery was queued.
    let remaining = 1;
    const settledOne = onHandled === undefined ? undefined : () => --remaining === 0 && onHandled();
    for (const subscription of this.#current()) {
      for (const event of events) {
        if (subscription.offer(event, settledOne)) {
          this.#outstanding++;
          remaining++;
        }
      }
    }
    settledOne?.();
  }

  /** Resolves once every subscriber that received `event` has handled it, with whether every one did, rather than closing first. */
  async whenHandled(event: HandledQuery): Promise<boolean> {
    const handled = await Promise.all(this.#current().map((s) => s.whenHandled(event)));
    return handled.every((h) => h !== false);
  }

  /** Resolves when every event published so far has been handled by every subscriber. */
  drain(): Promise<void> {
    if (this.#outstanding === 0) return Promise.resolve();
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }

  /** `undefined` when shards may dispatch; otherwise resolves once subscribers caught up. */
  backpressure(): Promise<void> | undefined {
    if (this.#outstanding + this.#held < this.#maxPending) return undefined;
    return new Promise((resolve) => this.#reliefWaiters.push(resolve));
  }

  stats(shards: number): SubscriberStats[] {
    return this.#current().map((s) => {
      // A listen() iterator's unread events hold back the shards like queued ones: shown as pending, so they can be found.
      const base = { name: s.name, delivered: s.delivered, failed: s.failed, pending: s.pending + s.unread };
      if (s instanceof DurableSubscription) return { ...base, lag: s.lag(), durable: s.durableName, checkpoints: s.checkpoints() };
      return { ...base, lag: Array.from({ length: shards }, (_, i) => (s.pendingByShard[i] ?? 0) + (s.unreadByShard[i] ?? 0)) };
    });
  }

  #settled(): void {
    this.#outstanding--;
    if (this.#outstanding === 0 && this.#drainWaiters.length > 0) for (const wake of this.#drainWaiters.splice(0)) wake();
    this.#relieve();
  }

  #relieve(): void {
    if (this.#reliefWaiters.length > 0 && this.#outstanding + this.#held <= this.#maxPending / 2) {
      for (const wake of this.#reliefWaiters.splice(0)) wake();
    }
  }
}
