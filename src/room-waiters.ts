/**
 * Sends waiting for room in a full shard queue (`onFull: 'wait'`), woken in
 * arrival order. An aborted wait leaves at once and gives up its place.
 */
import { AbortError } from './errors.js';

export class RoomWaiters {
  #waiters: Array<() => void> = [];

  /** Resolves when room may have appeared; rejects `AbortError` (`executed: false`) as soon as `signal` fires. */
  wait(signal: AbortSignal | undefined): Promise<void> {
    if (signal?.aborted === true) return Promise.reject(aborted());
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        // Left in the list, it would take a wake-up meant for the next sender, who would then wait for good.
        const index = this.#waiters.indexOf(wake);
        if (index >= 0) this.#waiters.splice(index, 1);
        reject(aborted());
      };
      const wake = (): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.push(wake);
    });
  }

  /** Wakes the first `count` waiters. */
  wake(count: number): void {
    if (count <= 0 || this.#waiters.length === 0) return;
    for (const wake of this.#waiters.splice(0, count)) wake();
  }
}

function aborted(): AbortError {
  return new AbortError('aborted while waiting for queue room; not executed', { executed: false });
}
