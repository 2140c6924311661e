/**
 * The engine's durable subscriptions: creates them (one per name at a time),
 * saves their checkpoints every `checkpointIntervalMs` and on close, and
 * tells `drain()` when every catch-up has finished.
 */
import { describeValue } from './describe-value.js';
import { InvalidArgumentError, isAsynxError } from './errors.js';
import { checkSubscribeArguments, type EventBus, type SubscribeOptions } from './event-bus.js';
import { compilePattern, type EventPattern } from './event-pattern.js';
import { checkWellFormed } from './input-checks.js';
import { DurableSubscription, type DurableIO, type DurableStart } from './durable-subscription.js';
import type { EventHandler, Fallback } from './subscription.js';

export interface DurableOptions<S extends object> extends SubscribeOptions<S> {
  /** Name under which the checkpoints are stored; the same name resumes where it stopped. */
  readonly durable: string;
  /**
   * Where a name without checkpoints starts: `'beginning'` delivers the whole
   * history (a projection rebuild), `'now'` only what is committed from now on.
   * @default 'beginning'
   */
  readonly from?: DurableStart;
}

export class DurableRegistry {
  readonly #bus: EventBus;
  readonly #io: DurableIO;
  readonly #shards: number;
  readonly #active = new Map<string, DurableSubscription>();
  readonly #timer: NodeJS.Timeout;

  constructor(bus: EventBus, io: DurableIO, shards: number, checkpointIntervalMs: number) {
    this.#bus = bus;
    this.#io = io;
    this.#shards = shards;
    this.#timer = setInterval(() => {
      // A failed save is retried at the next interval; close() reports it.
      void this.saveAll().catch(() => undefined);
    }, checkpointIntervalMs);
    this.#timer.unref();
  }

  subscribe<S extends object>(pattern: EventPattern, handler: EventHandler<S>, options: DurableOptions<S>): () => void {
    const matches = compilePattern(pattern);
    const timeoutMs = checkSubscribeArguments(handler, options, ['durable', 'from']);
    const { durable: name, from = 'beginning' } = options;
    if (typeof name !== 'string' || name.length === 0 || name.length > 200) {
      throw new InvalidArgumentError('subscribe option durable must be a subscription name of 1 to 200 characters');
    }
    checkWellFormed(name, 'subscribe option durable');
    if (from !== 'beginning' && from !== 'now') {
      throw new InvalidArgumentError(`subscribe option from must be 'beginning' or 'now', got ${describeValue(from)}`);
    }
    if (this.#active.has(name)) throw new InvalidArgumentError(`durable subscription ${name} is already active in this engine`);
    const subscription = new DurableSubscription(
      {
        name: options.name ?? name,
        matches,
        handler: handler as EventHandler<object>,
        timeoutMs,
        fallback: options.fallback as Fallback<object> | undefined,
      },
      this.#bus.subscriptionHooks(),
      name,
      this.#shards,
      from,
      this.#io,
    );
    // Failures surface through drain(); this keeps them from being unhandled meanwhile.
    subscription.ready.catch(() => undefined);
    // Its reads may still find the events of an aggregate whose erasure is pending: they are skipped like later ones.
    for (const { tombstone, erased } of this.#bus.erasing()) subscription.forgotten(tombstone, erased);
    this.#bus.add(subscription);
    this.#active.set(name, subscription);
    return () => {
      if (this.#active.get(name) !== subscription) return;
      this.#active.delete(name);
      this.#bus.remove(subscription);
      void subscription.saveCheckpoints().catch(() => undefined);
    };
  }

  /** Resolves when every durable subscription has caught up; rejects with a catch-up failure. */
  async ready(): Promise<void> {
    await Promise.all([...this.#active.values()].map((s) => s.ready));
  }

  async saveAll(): Promise<void> {
    await Promise.all([...this.#active.values()].map((s) => s.saveCheckpoints()));
  }

  /** Saves the final checkpoints and stops the timer. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    try {
      await this.saveAll();
    } catch (error) {
      if (!isAsynxError(error) || error.code !== 'SHUTTING_DOWN') throw error;
    }
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
