/**
 * A durable subscription: a subscriber with a checkpoint per shard, saved in
 * the shard's own file. On start it reads each shard's log from the
 * checkpoint (catch-up), holding live events aside meanwhile; when the log
 * is exhausted it hands over the held events past what it read and follows
 * the live stream. Every stored event reaches the handler at least once, per
 * aggregate in version order; a crash costs re-delivery, never a gap. A
 * shard's positions are gap-free, so a live event that skips some tells of
 * events committed but never published (a worker that died between its
 * commit and its events): those are read from the log, as in a catch-up.
 */
import { ShardCrashedError } from './errors.js';
import type { StoredEvent } from './event.js';
import { RecentVersions, STREAM_MEMORY, decodeEvents, type ReceivedStates } from './event-wire.js';
import type { CheckpointState, EncodedPage, ShardRequest } from './protocol.js';
import { PositionTracker } from './position-tracker.js';
import { Subscription, type HandledQuery, type SubscriptionHooks, type SubscriptionSettings } from './subscription.js';

/** Where a new durable subscription (no checkpoint yet) starts. */
export type DurableStart = 'beginning' | 'now';

/** What a durable subscription needs from the engine. */
export interface DurableIO {
  /** Runs an operation on a shard, in order with its commands. */
  readonly run: (shard: number, op: ShardRequest) => Promise<unknown>;
  /** Counts a delivery queued outside `publish`, for the bus's drain. */
  readonly countDelivery: () => void;
  /** The last position each shard is known to have committed. */
  readonly lastPosition: (shard: number) => number;
}

/** Events per catch-up read. */
const PAGE = 2_000;
/** Catch-up reads no further while this many events wait for the handler. */
const WINDOW = 20_000;
/**
 * Times in a row a catch-up read cut off by a worker crash is sent again
 * (the shard restarts its worker first). Reads change nothing, so repeating
 * one is safe; a read that keeps killing its worker fails the catch-up.
 */
const CRASH_RETRIES = 3;

class ShardCursor {
  live = false;
  /** Highest position handed to the handler (or skipped). */
  handed = 0;
  /** Live events that arrived during catch-up. */
  held: StoredEvent[] = [];
  tracker = new PositionTracker(0);
  persisted = 0;
  head = 0;
  /** States kept from earlier catch-up pages, which later pages refer to; dropped once live. */
  received: ReceivedStates | undefined = new RecentVersions(STREAM_MEMORY);
  /** Called when the catch-up ends, however it ends. */
  caughtUpWaiters: Array<() => void> = [];
  /**
   * Aggregates erased while this subscription may still be handed their
   * events (held, or in a page read before the erasure): their events up to
   * the position are erased ones, skipped.
   */
  erased = new Map<string, number>();
}

/** Catch-up streams of this process, numbered so a shard can tell them apart. */
let streams = 0;

export class DurableSubscription extends Subscription {
  readonly durableName: string;
  readonly #cursors: ShardCursor[];
  readonly #io: DurableIO;
  readonly #start: DurableStart;
  /** Resolves when every shard has caught up and follows the live stream, also after reading a gap of the live stream. */
  #ready: Promise<void>;

  constructor(settings: SubscriptionSettings, hooks: SubscriptionHooks, durableName: string, shards: number, start: DurableStart, io: DurableIO) {
    super(settings, hooks);
    this.durableName = durableName;
    this.#cursors = Array.from({ length: shards }, () => new ShardCursor());
    this.#io = io;
    this.#start = start;
    this.#ready = Promise.all(this.#cursors.map((_, shard) => this.#catchUp(shard, () => this.#readThenGoLive(shard)))).then(() => undefined);
  }

  get ready(): Promise<void> {
    return this.#ready;
  }

  override offer(event: StoredEvent, onSettled?: () => void): boolean {
    // Tombstones (position 0) are not in the log; they reach live subscribers only.
    if (!this.active || event.position === 0) return false;
    const cursor = this.#cursors[event.shard]!;
    if (!cursor.live) {
      cursor.held.push(event);
      return false;
    }
    if (event.position > cursor.handed + 1) {
      // Handing it on would move the checkpoint past events this subscription never received.
      cursor.live = false;
      cursor.held.push(event);
      const reread = this.#catchUp(event.shard, () => this.#readThenSwitch(event.shard, cursor));
      reread.catch(() => undefined);
      this.#ready = Promise.all([this.#ready, reread]).then(() => undefined);
      // Failures surface through drain(), which may never be called: unobserved, the rejection would end the process.
      this.#ready.catch(() => undefined);
      return false;
    }
    return this.#hand(cursor, event, onSettled);
  }

  /**
   * Besides its queued events (see {@link Subscription.forgotten}), those of
   * the forgotten aggregate in a page read before the erasure and handed
   * after it are skipped. Every one of them is at or before the shard's last
   * position when the erasure has run; the aggregate's next life comes after.
   */
  override forgotten(tombstone: StoredEvent, erased: Promise<boolean>): void {
    super.forgotten(tombstone, erased);
    const cursor = this.#cursors[tombstone.shard];
    if (cursor === undefined) return;
    void erased.then((done) => {
      // Not erased: the events stay stored, and are delivered like any other.
      if (done) cursor.erased.set(tombstone.aggregateId, Math.max(cursor.head, this.#io.lastPosition(tombstone.shard)));
    });
  }

  /**
   * During a catch-up, an event in no handler queue yet may still come: a
   * live event held aside, or a stored one the reads have not reached (the
   * original event of a repeated `commandId`). Wait for the catch-up, which
   * hands them over, then for the handler.
   */
  override whenHandled(event: HandledQuery): Promise<boolean> | undefined {
    const queued = super.whenHandled(event);
    const cursor = this.#cursors[event.shard];
    if (queued !== undefined || cursor === undefined || cursor.live) return queued;
    // Held events are ahead too: they wait for the reads to reach them.
    if (event.position <= cursor.handed || !this.matches(event.name)) return undefined;
    return new Promise<void>((resolve) => cursor.caughtUpWaiters.push(resolve)).then(() => super.whenHandled(event) ?? this.active);
  }

  /** The positions up to which every event was handled, per shard. */
  checkpoints(): number[] {
    return this.#cursors.map((c) => c.tracker.checkpoint);
  }

  /** Positions behind each shard's last commit. */
  lag(): number[] {
    return this.#cursors.map((c, shard) => Math.max(0, Math.max(c.head, this.#io.lastPosition(shard)) - c.tracker.checkpoint));
  }

  /** Saves every checkpoint that moved since the last save. */
  async saveCheckpoints(): Promise<void> {
    await Promise.all(
      this.#cursors.map(async (cursor, shard) => {
        const position = cursor.tracker.checkpoint;
        if (position <= cursor.persisted) return;
        await this.#io.run(shard, { kind: 'save-checkpoint', name: this.durableName, position });
        cursor.persisted = Math.max(cursor.persisted, position);
      }),
    );
  }

  #hand(cursor: ShardCursor, event: StoredEvent, onSettled?: () => void): boolean {
    // Once unsubscribed, nothing more is queued: a delivery counted now would never settle, and drain() would wait for it.
    if (!this.active || event.position <= cursor.handed) return false;
    cursor.handed = event.position;
    if (!this.matches(event.name) || this.#wasErased(cursor, event)) {
      cursor.tracker.skip(event.position);
      return false;
    }
    const settled = cursor.tracker.track(event.position);
    this.enqueue({
      event,
      onSettled: (handled) => {
        // Dropped by an unsubscribe: the checkpoint stays before it, so a later start delivers it again.
        if (handled) settled();
        onSettled?.();
      },
    });
    return true;
  }

  /** Whether `event` belongs to an aggregate forgotten since it was committed; forgets the entries it has passed. */
  #wasErased(cursor: ShardCursor, event: StoredEvent): boolean {
    if (cursor.erased.size === 0) return false;
    const last = cursor.erased.get(event.aggregateId);
    for (const [aggregateId, position] of cursor.erased) if (position <= cursor.handed) cursor.erased.delete(aggregateId);
    return last !== undefined && event.position <= last;
  }

  /** Runs an operation that is safe to repeat, sending it again when a worker crash cut it off (see {@link CRASH_RETRIES}). */
  async #repeatable<T>(shard: number, op: ShardRequest): Promise<T> {
    for (let crashes = 0; ; crashes++) {
      try {
        return (await this.#io.run(shard, op)) as T;
      } catch (error) {
        if (!(error instanceof ShardCrashedError) || crashes >= CRASH_RETRIES || !this.active) throw error;
      }
    }
  }

  async #catchUp(shard: number, read: () => Promise<void>): Promise<void> {
    try {
      await read();
    } finally {
      for (const wake of this.#cursors[shard]!.caughtUpWaiters.splice(0)) wake();
    }
  }

  async #readThenGoLive(shard: number): Promise<void> {
    const cursor = this.#cursors[shard]!;
    const state = await this.#repeatable<CheckpointState>(shard, { kind: 'read-checkpoint', name: this.durableName });
    const start = state.saved ?? (this.#start === 'now' ? state.head : 0);
    if (state.saved === null) {
      // Remember the starting point, so a restart before the first save does not move it (a saved checkpoint never moves back).
      await this.#repeatable(shard, { kind: 'save-checkpoint', name: this.durableName, position: start });
    }
    cursor.handed = start;
    cursor.persisted = start;
    cursor.head = state.head;
    cursor.tracker = new PositionTracker(start);
    await this.#readThenSwitch(shard, cursor);
  }

  /**
   * Reads the log after `cursor.handed` to its end, then hands over the held
   * live events; while those skip positions, reads the log again first.
   */
  async #readThenSwitch(shard: number, cursor: ShardCursor): Promise<void> {
    for (;;) {
      await this.#readLog(shard, cursor);
      if (!this.active) return;
      // Events of a dead worker's port may come after its replacement's.
      const held = cursor.held.splice(0).sort((a, b) => a.position - b.position);
      let next = 0;
      for (; next < held.length && held[next]!.position <= cursor.handed + 1; next++) {
        if (this.#hand(cursor, held[next]!)) this.#io.countDelivery();
      }
      if (next === held.length) {
        // Everything committed before the last read is handed; what came later is held. Switch over.
        cursor.live = true;
        cursor.received = undefined;
        return;
      }
      cursor.held = held.slice(next);
    }
  }

  async #readLog(shard: number, cursor: ShardCursor): Promise<void> {
    // Each read is a new stream, whose pages refer only to states sent on it.
    cursor.received = new RecentVersions(STREAM_MEMORY);
    const start = cursor.handed;
    const stream = ++streams;
    const read = (afterPosition: number): Promise<EncodedPage> => {
      const page = this.#repeatable<EncodedPage>(shard, { kind: 'read-log', afterPosition, limit: PAGE, stream });
      // A read ahead may fail while this waits for the handler; it is awaited (and its failure thrown) in turn.
      page.catch(() => undefined);
      return page;
    };
    let next = read(start);
    while (this.active) {
      const page = await next;
      if (!this.active) break;
      const full = page.more === true;
      if (full) {
        // Read ahead: the shard reads the next page while this one is decoded and handed out. The
        // shard's queue posts the read in a microtask; yielding once lets it go before the decoding.
        next = read(page.last!);
        await Promise.resolve();
      }
      // Pages are decoded in the order they were read: later pages refer to states kept from earlier ones.
      const events = decodeEvents(page.events, cursor.received);
      cursor.head = Math.max(cursor.head, page.head ?? 0);
      for (const event of events) if (this.#hand(cursor, event)) this.#io.countDelivery();
      if (!full) {
        // The log is read up to its head: positions after the last event up to it belong to erased
        // aggregates, and the checkpoint may pass them (else the lag would never return to 0).
        const head = page.head ?? 0;
        if (this.active && head > cursor.handed) {
          cursor.tracker.skip(head);
          cursor.handed = head;
        }
        break;
      }
      await this.whenPendingBelow(WINDOW);
    }
  }
}
