/**
 * Sends waiting for room in a full shard queue (`onFull: 'wait'`), woken in
 * arrival order. An aborted wait leaves at once and gives up its place. A
 * set keeps arrival order and lets a waiter leave from anywhere in O(1):
 * aborting many waiters out of a list was quadratic.
 */
import { AbortError } from './errors.js';

export class RoomWaiters {
  readonly #waiters = new Set<() => void>();

  /** Resolves when room may have appeared; rejects `AbortError` (`executed: false`) as soon as `signal` fires. */
  wait(signal: AbortSignal | undefined): Promise<void> {
    if (signal?.aborted === true) return Promise.reject(aborted());
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        // Left in the list, it would take a wake-up meant for the next sender, who would then wait for good.
        this.#waiters.delete(wake);
        reject(aborted());
      };
      const wake = (): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.add(wake);
    });
  }

  /** Wakes the first `count` waiters. */
  wake(count: number): void {
    for (const wake of this.#waiters) {
      if (count-- <= 0) return;
      this.#waiters.delete(wake);
      wake();
    }
  }
}

function aborted(): AbortError {
  return new AbortError('aborted while waiting for queue room; not executed', { executed: false });
}
