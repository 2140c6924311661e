/**
 * The `onForget` handlers and the delivery of a tombstone before erasure:
 * every handler and every subscriber that names `asynx.forgotten` settles
 * first, so read models can drop the aggregate while it is still known.
 */
import type { EventBus } from './event-bus.js';
import type { StoredEvent } from './event.js';

export type ForgetHandler = (tombstone: StoredEvent) => void | Promise<void>;

export class ForgetHandlers {
  readonly #handlers = new Set<ForgetHandler>();
  readonly #bus: EventBus;
  readonly #onHandlerError: (error: unknown, event: StoredEvent, subscription: string) => void;

  constructor(bus: EventBus, onHandlerError: (error: unknown, event: StoredEvent, subscription: string) => void) {
    this.#bus = bus;
    this.#onHandlerError = onHandlerError;
  }

  add(handler: ForgetHandler): () => void {
    // A wrapper, so the same function registered twice runs twice and unregisters once.
    const entry: ForgetHandler = (tombstone) => handler(tombstone);
    this.#handlers.add(entry);
    return () => {
      this.#handlers.delete(entry);
    };
  }

  /**
   * Resolves once every handler and subscriber has settled. A failing handler
   * is reported to `onHandlerError` and does not stop the erasure, which
   * `erased` tells the subscribers about.
   */
  async deliver(tombstone: StoredEvent, erased: Promise<boolean>): Promise<void> {
    const delivered = new Promise<void>((resolve) => this.#bus.publishTombstone(tombstone, erased, resolve));
    await Promise.all(
      [...this.#handlers].map(async (handler) => {
        try {
          await handler(tombstone);
        } catch (error) {
          this.#onHandlerError(error, tombstone, 'onForget');
        }
      }),
    );
    await delivered;
  }
}
