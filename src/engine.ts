/**
 * The engine facade: routes each command by its aggregate ID to the shard
 * that owns it, and gives reads, subscriptions and an orderly close.
 */
import type { CommandName, Domain, PayloadOf, StateOf } from './domain.js';
import type { DataDirLock } from './data-dir-lock.js';
import { InvalidArgumentError, ShuttingDownError } from './errors.js';
import { checkCommand, type CheckedCommand } from './command-request.js';
import type { StoredEvent } from './event.js';
import type { EventBus, SubscribeOptions } from './event-bus.js';
import { listen, untilHandled, waitFor, type ListenOptions, type WaitForOptions } from './listeners.js';
import type { EventHandler } from './subscription.js';
import type { EventPattern } from './event-pattern.js';
import { checkAggregateId, checkCloseOptions, checkHistoryRange } from './input-checks.js';
import { resolveOptions, type EngineOptions, type ResolvedOptions } from './options.js';
import { shardFor } from './router.js';
import { DurableRegistry, type DurableOptions } from './durable-registry.js';
import type { ForgetHandlers } from './forget-handlers.js';
import type { ShardHandle } from './shard-handle.js';
import { domainOf, startEngine } from './engine-start.js';
import type { CloseOptions, HistoryOptions, SendOptions } from './call-options.js';
import { shardStats, type EngineStats } from './engine-stats.js';
import { readHistory } from './history-reader.js';
import { startTimeout } from './timeouts.js';

export class Engine<D extends Domain<object, object> = Domain> {
  readonly domain: D;
  readonly options: ResolvedOptions;
  readonly #shards: ShardHandle[];
  readonly #bus: EventBus;
  readonly #forgetHandlers: ForgetHandlers;
  readonly #durables: DurableRegistry;
  readonly #lock: DataDirLock;
  #closing: Promise<void> | undefined;

  private constructor(domain: D, options: ResolvedOptions, shards: ShardHandle[], bus: EventBus, forgetHandlers: ForgetHandlers, lock: DataDirLock) {
    this.domain = domain;
    this.options = options;
    this.#lock = lock;
    this.#shards = shards;
    this.#bus = bus;
    this.#forgetHandlers = forgetHandlers;
    this.#durables = new DurableRegistry(
      bus,
      {
        run: (shard, op) => shards[shard]!.enqueueInternal(op),
        countDelivery: () => bus.countDelivery(),
        lastPosition: (shard) => shards[shard]!.lastPosition,
      },
      shards.length,
      options.checkpointIntervalMs,
    );
  }

  /** Validates the options, prepares the data directory and starts every shard. */
  static open<D extends Domain<object, object>>(options: EngineOptions<D> & { readonly domain: D }): Promise<Engine<D>>;
  /** With the domain module's path or URL: `send` is not type-checked against the domain. */
  static open(options: EngineOptions<Domain> & { readonly domain: string | URL }): Promise<Engine<Domain>>;
  static async open<D extends Domain<object, object>>(options: EngineOptions<D>): Promise<Engine<D>> {
    const domain = (await domainOf(options)) as D;
    const resolved = resolveOptions(options, domain.aggregate);
    const { shards, bus, forgetHandlers, lock } = await startEngine(domain, resolved);
    resolved.logger.info({ aggregate: domain.aggregate, shards: resolved.shards, dataDir: resolved.dataDir }, 'asynx engine started');
    return new Engine(domain, resolved, shards, bus, forgetHandlers, lock);
  }

  get shardCount(): number {
    return this.#shards.length;
  }

  /** The shard (0-based) that owns `aggregateId`. */
  shardOf(aggregateId: string): number {
    return shardFor(checkAggregateId(aggregateId, 'shardOf'), this.#shards.length);
  }

  /**
   * Runs a command on its aggregate's shard. Resolves with the stored event
   * once it is durable; rejects `ValidationError` when the domain refuses it.
   */
  send<K extends CommandName<D>>(type: K, payload: PayloadOf<D, K>, options?: SendOptions): Promise<StoredEvent<StateOf<D>>> {
    // Not an async function: every command would pay for one more promise and
    // microtask. Bad input still rejects, never throws.
    let request: CheckedCommand;
    try {
      this.#assertOpen();
      request = checkCommand(this.domain, type, payload, options, this.options.maxPayloadBytes);
    } catch (error) {
      return Promise.reject(error as Error);
    }
    return this.#shardFor(request.op.aggregateId).enqueue(request.op, request.signal) as Promise<StoredEvent<StateOf<D>>>;
  }

  /** The aggregate's current state; `NotFoundError` if it does not exist. Served by its shard, in order with its commands. */
  async get(aggregateId: string): Promise<StateOf<D>> {
    this.#assertOpen();
    const id = checkAggregateId(aggregateId, 'get');
    return (await this.#shardFor(id).enqueue({ kind: 'get', aggregateId: id })) as StateOf<D>;
  }

  /**
   * Loads the aggregate into its shard's state cache so the next command on it
   * skips hydration. Resolves with whether it exists.
   */
  async preload(aggregateId: string): Promise<boolean> {
    this.#assertOpen();
    const id = checkAggregateId(aggregateId, 'preload');
    return (await this.#shardFor(id).enqueue({ kind: 'preload', aggregateId: id })) as boolean;
  }

  async exists(aggregateId: string): Promise<boolean> {
    this.#assertOpen();
    const id = checkAggregateId(aggregateId, 'exists');
    return (await this.#shardFor(id).enqueue({ kind: 'exists', aggregateId: id })) as boolean;
  }

  /**
   * The aggregate's events in version order, with `state` and `previousState` for any range. Read
   * in pages; never writes. Empty when it does not exist; `NotFoundError` if forgotten between pages.
   */
  history(aggregateId: string, options?: HistoryOptions): AsyncIterable<StoredEvent<StateOf<D>>> {
    this.#assertOpen();
    const id = checkAggregateId(aggregateId, 'history');
    const range = checkHistoryRange(options, id);
    const shard = this.#shardFor(id);
    return { [Symbol.asyncIterator]: () => readHistory<StateOf<D>>(shard, this.domain.aggregate, id, range) };
  }

  /**
   * Erases an aggregate (GDPR erasure), in order with its other commands.
   * First a tombstone event `asynx.forgotten` carrying the last state goes to
   * the `onForget` handlers and to subscribers that name it; once they have
   * settled, every event and the snapshot of the aggregate are deleted, the
   * freed bytes zeroed and the WAL truncated. Resolves with the tombstone;
   * `NotFoundError` if the aggregate does not exist.
   */
  async forget(aggregateId: string): Promise<StoredEvent<StateOf<D>>> {
    this.#assertOpen();
    const id = checkAggregateId(aggregateId, 'forget');
    return (await this.#shardFor(id).enqueue({ kind: 'forget', aggregateId: id })) as StoredEvent<StateOf<D>>;
  }

  /**
   * Registers a handler for tombstones of forgotten aggregates: the place to
   * erase the aggregate from read models. Awaited before the erasure.
   * Returns the function that removes it.
   */
  onForget(handler: (tombstone: StoredEvent<StateOf<D>>) => void | Promise<void>): () => void {
    if (typeof handler !== 'function') throw new InvalidArgumentError(`onForget() needs a handler function, got ${typeof handler}`);
    return this.#forgetHandlers.add(handler as (tombstone: StoredEvent) => void | Promise<void>);
  }

  /**
   * Calls `handler` for every committed event whose name matches `pattern`,
   * per aggregate in version order. Returns the unsubscribe function.
   */
  subscribe(
    pattern: EventPattern,
    handler: EventHandler<StateOf<D>>,
    options?: SubscribeOptions<StateOf<D>> | DurableOptions<StateOf<D>>,
  ): () => void {
    this.#assertOpen();
    if (options !== undefined && options !== null && typeof options === 'object' && 'durable' in options) {
      return this.#durables.subscribe(pattern, handler, options);
    }
    const subscription = this.#bus.subscribe(pattern, handler, options);
    return () => this.#bus.remove(subscription);
  }

  /**
   * Matching events as an async iterator (`for await … of`), buffered until
   * read. Ends after `count` events or when the loop breaks.
   */
  listen(pattern: EventPattern, options?: ListenOptions): AsyncIterableIterator<StoredEvent<StateOf<D>>> {
    this.#assertOpen();
    return listen<StateOf<D>>(this.#bus, pattern, options);
  }

  /** The next event matching `pattern`; rejects `TimeoutError` / `AbortError`. */
  waitFor(pattern: EventPattern, options?: WaitForOptions): Promise<StoredEvent<StateOf<D>>> {
    try {
      this.#assertOpen();
    } catch (error) {
      return Promise.reject(error as Error);
    }
    return waitFor<StateOf<D>>(this.#bus, pattern, options);
  }

  /** Like `send`, but resolves only after every subscriber has handled the event; `ShuttingDownError` (`executed: true`) if the engine closed first. */
  async sendAndWait<K extends CommandName<D>>(type: K, payload: PayloadOf<D, K>, options?: SendOptions): Promise<StoredEvent<StateOf<D>>> {
    const event = await this.send(type, payload, options);
    await untilHandled(this.#bus, event, () => this.#closing !== undefined);
    return event;
  }

  /** Resolves when every accepted command has settled and every event published so far was handled. */
  async drain(): Promise<void> {
    await this.#durables.ready();
    await Promise.all(this.#shards.map((s) => s.whenIdle()));
    await this.#bus.drain();
  }

  stats(): EngineStats {
    return {
      shards: this.#shards.map(shardStats),
      bus: { published: this.#bus.published, subscribers: this.#bus.stats(this.#shards.length) },
    };
  }

  /**
   * Stops intake (new calls reject `ShuttingDownError`), finishes every
   * accepted command, delivers their events, then closes the shard files.
   * Past `timeoutMs`, what is left rejects with `ShuttingDownError`.
   * Calling it again returns the same promise.
   */
  close(options?: CloseOptions): Promise<void> {
    // Bad arguments are refused before anything else: they must not start (or join) a close.
    let timeoutMs: number;
    try {
      timeoutMs = checkCloseOptions(options);
    } catch (error) {
      return Promise.reject(error as Error);
    }
    if (this.#closing !== undefined) return this.#closing;
    this.#bus.closing();
    this.#closing = (async () => {
      let cancelTimeout = (): void => undefined;
      const timedOut = new Promise<'timeout'>((resolve) => {
        cancelTimeout = startTimeout(timeoutMs, () => resolve('timeout'));
      });
      // A durable catch-up that failed must not keep the files open: close anyway, then report it.
      let failure: unknown;
      const drained = this.drain().then(
        () => 'done' as const,
        (error: unknown) => {
          failure = error;
          return 'done' as const;
        },
      );
      const finished = await Promise.race([drained, timedOut]);
      cancelTimeout();
      if (finished === 'timeout') {
        this.#durables.stop();
        const error = new ShuttingDownError(`close() timed out after ${timeoutMs} ms before this operation ran`, { executed: false });
        for (const shard of this.#shards) shard.rejectQueued(error);
        await this.#stopShards((s) => s.destroy(`stopped by close() after its ${timeoutMs} ms timeout`));
        this.options.logger.warn({ timeoutMs }, 'asynx engine close timed out; unfinished work was rejected');
        return;
      }
      try {
        await this.#durables.close();
      } catch (error) {
        failure ??= error;
      }
      await this.#stopShards((s) => s.close());
      this.options.logger.info({ aggregate: this.domain.aggregate }, 'asynx engine closed');
      if (failure !== undefined) throw failure;
    })();
    return this.#closing;
  }

  /** Stops every worker now; anything unfinished rejects with `ShuttingDownError`. A later `close()` resolves once it is done. */
  destroy(): Promise<void> {
    this.#durables.stop();
    const stopped = this.#stopShards((s) => s.destroy());
    this.#closing ??= stopped;
    return stopped;
  }

  /** Stops every shard, then ends the subscriptions and lets another engine open the directory, whatever the shards did. */
  async #stopShards(stop: (shard: ShardHandle) => Promise<void>): Promise<void> {
    try {
      await Promise.all(this.#shards.map(stop));
    } finally {
      this.#bus.close();
      this.#lock.release();
    }
  }

  #assertOpen(): void {
    if (this.#closing !== undefined) throw new ShuttingDownError('the engine is closing; no new work is accepted');
  }

  #shardFor(aggregateId: string): ShardHandle {
    return this.#shards[shardFor(aggregateId, this.#shards.length)]!;
  }
}

/** Opens an engine: `const engine = await open({ domain, dataDir, shards })`. */
export function open<D extends Domain<object, object>>(options: EngineOptions<D> & { readonly domain: D }): Promise<Engine<D>>;
/** With the domain module's path or URL: `send` is not type-checked against the domain. */
export function open(options: EngineOptions<Domain> & { readonly domain: string | URL }): Promise<Engine<Domain>>;
export function open<D extends Domain<object, object>>(options: EngineOptions<D>): Promise<Engine<D>> {
  return Engine.open(options as EngineOptions<D> & { readonly domain: D });
}

