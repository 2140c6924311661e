/**
 * One shard's worker thread, through a single-thread piscina pool: start-up
 * (the `init` task, which carries the event port), running batches under a
 * watchdog, and restarting after a crash. A worker whose start-up fails is
 * not restarted again and again: the failure is kept and reported.
 */
import { fileURLToPath } from 'node:url';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { ShardCrashedError, ShuttingDownError, describeThrown, fromWire, isAsynxError, type AsynxError } from './errors.js';
import type { ResolvedOptions } from './options.js';
import type { StoredEvent } from './event.js';
import { decodeEvents } from './event-wire.js';
import { packRequests } from './request-wire.js';
import { importTimedOut, workerDiedStarting } from './start-failure.js';
import type { EventsMessage, PortMessage, ShardConfig, ShardReport, ShardRequest, ShardReply, ShardTask } from './protocol.js';

const WORKER_FILE = fileURLToPath(new URL('../workers/shard.js', import.meta.url));

export type BatchReply = Extract<ShardReply, { kind: 'batch-done' }>;

/** What the worker's event port brings, with the events decoded. */
export type ShardNotice = { readonly kind: 'events'; readonly batchId: number; readonly events: StoredEvent[] } | ShardReport;

function decodeNotice(message: EventsMessage | ShardReport): ShardNotice {
  return message.kind === 'events' ? { kind: 'events', batchId: message.batchId, events: decodeEvents(message.events) } : message;
}

/** What a shard worker tells its handle besides replies. */
export interface ShardWorkerHooks {
  readonly notice: (notice: ShardNotice) => void;
  /** The worker died running `operations` operations (a batch, or a forget's erasure), or none between them; the next run restarts it. */
  readonly crashed: (cause: string, operations: number) => void;
  /** A replacement worker started and opened the shard, whose last event position is `head`. */
  readonly restarted: (head: number) => void;
  /** A restart after a crash failed: the shard is broken from now on. */
  readonly cannotRestart: (error: AsynxError) => void;
}

export class ShardWorker {
  readonly #index: number;
  readonly #config: ShardConfig;
  readonly #batchTimeoutMs: number;
  readonly #importTimeoutMs: number;
  readonly #hooks: ShardWorkerHooks;
  readonly #pool: Piscina<ShardTask, ShardReply>;
  #port: MessagePort | undefined;
  #needsInit = true;
  /**
   * The watchdog's signal, shared by batches until it fires: creating an
   * AbortSignal per batch costs more than a small batch's messaging, and
   * piscina removes its listener when each task ends.
   */
  #watchdog = new AbortController();
  /** Set when the worker cannot be (re)started: every later batch fails with it. */
  #broken: AsynxError | undefined;
  /** Set by destroy(): a start it cuts short did not fail for anything the domain module did. */
  #destroyed = false;
  /** Set while a batch runs: a worker that dies then is reported by the batch's failure. */
  #running = false;
  /** Set by close(): the worker is going away, and its event port closes with it. */
  #closing = false;
  /** The worker died while no batch ran (see {@link run}'s restart). */
  #diedBetween = false;

  constructor(index: number, config: ShardConfig, options: ResolvedOptions, hooks: ShardWorkerHooks) {
    this.#index = index;
    this.#config = config;
    this.#batchTimeoutMs = options.batchTimeoutMs;
    this.#importTimeoutMs = options.importTimeoutMs;
    this.#hooks = hooks;
    this.#pool = new Piscina<ShardTask, ShardReply>({
      filename: WORKER_FILE,
      name: 'default',
      minThreads: 1,
      maxThreads: 1,
      idleTimeout: Number.POSITIVE_INFINITY,
      // 'sync' parks an idle worker's event loop, which would stall its event port.
      atomics: 'disabled',
      resourceLimits: options.workerResourceLimits,
      // The engine keeps its own latency figures (stats()); piscina's histograms would be paid per task for nothing.
      recordTiming: false,
    });
    // An uncaught error outside a task (a domain module's timer) is reported here.
    this.#pool.on('error', (error: unknown) => this.#diedBetweenBatches(describeThrown(error).message));
  }

  get broken(): AsynxError | undefined {
    return this.#broken;
  }

  /** Starts the worker and opens its shard; returns the shard's last event position, or the start-up error. */
  async start(): Promise<{ readonly head: number } | AsynxError> {
    const previous = this.#port;
    const { port1, port2 } = new MessageChannel();
    // Importing the domain module is the part of start-up that runs user code, which may never finish:
    // past importTimeoutMs the worker is stopped. Opening the shard file is not limited (a format rewrite takes its time).
    const stop = new AbortController();
    const timer = setTimeout(() => stop.abort(), this.#importTimeoutMs);
    let imported = false;
    port1.on('message', (message: PortMessage) => {
      if (message.kind !== 'domain-loaded') return this.#hooks.notice(decodeNotice(message));
      imported = true;
      clearTimeout(timer);
    });
    port1.unref();
    let reply: ShardReply;
    try {
      reply = await this.#pool.run({ kind: 'init', config: this.#config, events: port2 }, { transferList: [port2], signal: stop.signal });
    } catch (thrown) {
      port1.close();
      if (this.#destroyed) return new ShuttingDownError(`shard ${this.#index} was destroyed while its worker was starting`);
      const { domainUrl } = this.#config;
      if (stop.signal.aborted) return importTimedOut(this.#index, domainUrl, this.#importTimeoutMs);
      return workerDiedStarting(this.#index, domainUrl, imported ? 'opening' : 'importing', thrown);
    } finally {
      clearTimeout(timer);
    }
    if (reply.kind === 'init-failed') {
      port1.close();
      return fromWire(reply.error);
    }
    if (reply.kind !== 'ready') throw new Error(`unexpected reply ${reply.kind} to init`);
    // Events a dead worker posted before it died still arrive on its old port, which then closes
    // by itself (its other end went with the worker): it is not closed here, or they would be lost.
    previous?.unref();
    this.#port = port1;
    // The port's other end goes with the worker: how a worker that exits between batches is noticed when it happens.
    port1.once('close', () => {
      if (this.#port === port1) this.#diedBetweenBatches('its thread ended');
    });
    this.#needsInit = false;
    return { head: reply.head };
  }

  /**
   * Runs one batch. Rejects `ShardCrashedError` when the worker dies or the
   * watchdog stops it (the batch may have been committed); the next call
   * starts a replacement first.
   */
  async run(batchId: number, ops: readonly ShardRequest[]): Promise<BatchReply> {
    const requests = packRequests(ops);
    for (;;) {
      if (this.#broken !== undefined) throw this.#broken;
      if (this.#needsInit) {
        let started = await this.start();
        // A worker that died between batches may not have left the pool yet, and a start it takes ends with it: once more, on a new one.
        if (isAsynxError(started) && this.#diedBetween && !this.#destroyed) started = await this.start();
        this.#diedBetween = false;
        if (isAsynxError(started)) {
          this.#broken = started;
          if (!this.#destroyed) this.#hooks.cannotRestart(started);
          throw started;
        }
        this.#hooks.restarted(started.head);
      }
      const watchdog = this.#watchdog;
      let answered = false;
      // Fired late by a main thread that was busy, the timer runs before the reply waiting on the port:
      // the stop waits one turn (setImmediate runs after the port's messages) for a batch that did finish.
      const timer = setTimeout(() => {
        setImmediate(() => {
          if (answered) return;
          this.#watchdog = new AbortController();
          watchdog.abort();
        });
      }, this.#batchTimeoutMs);
      this.#port?.ref();
      let reply: ShardReply;
      this.#running = true;
      try {
        // Aborting a running piscina task terminates its thread: exactly what a stuck batch needs.
        reply = await this.#pool.run({ kind: 'batch', batchId, requests }, { signal: watchdog.signal });
      } catch (thrown) {
        this.#needsInit = true;
        // Stopped by destroy(): no crash, and nothing to restart.
        if (this.#destroyed) throw new ShuttingDownError(`shard ${this.#index} was destroyed while this operation ran`, { executed: 'unknown' });
        const cause = watchdog.signal.aborted
          ? `the batch ran longer than batchTimeoutMs (${this.#batchTimeoutMs} ms), so its worker was stopped`
          : describeThrown(thrown).message;
        const crash = new ShardCrashedError(
          `shard ${this.#index} worker died while running this operation (${cause}); it may have been committed: re-send with the same commandId to find out`,
          { shard: this.#index, executed: 'unknown', cause },
        );
        // Counted here, where the worker died: a failed restart is not a second crash, and an erasure's crash counts too.
        this.#hooks.crashed(cause, ops.length);
        throw crash;
      } finally {
        this.#running = false;
        answered = true;
        clearTimeout(timer);
      }
      if (reply.kind === 'batch-done') return reply;
      if (reply.kind !== 'not-initialised') throw new Error(`unexpected reply ${reply.kind} to a batch`);
      // The worker was replaced between tasks: start it again and retry the same batch.
      this.#needsInit = true;
    }
  }

  /** Lets the process exit while no batch waits for its events. */
  idle(): void {
    this.#port?.unref();
  }

  /** Closes the shard file, then stops the worker. */
  async close(): Promise<void> {
    this.#closing = true;
    try {
      if (!this.#needsInit && this.#broken === undefined) await this.#pool.run({ kind: 'close' });
    } catch {
      // The worker is going away either way.
    }
    await this.destroy();
  }

  /**
   * The worker died with no batch running (a timer of the domain module exited or threw): counted and
   * reported as a crash once, whichever of the pool's error and the event port's closing comes first.
   */
  #diedBetweenBatches(cause: string): void {
    if (this.#needsInit || this.#running || this.#closing || this.#destroyed) return;
    this.#needsInit = true;
    this.#diedBetween = true;
    this.#hooks.crashed(cause, 0);
  }

  async destroy(): Promise<void> {
    this.#destroyed = true;
    await this.#pool.destroy();
    this.#port?.close();
  }
}
