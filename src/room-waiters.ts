/**
 * Sends waiting for room in a full shard queue (`onFull: 'wait'`), let in
 * in arrival order. A waiter is admitted by the call that makes room, in the
 * same turn: woken to try again later instead, it could find its place taken
 * by a send made in between, which would then run first although it came
 * later (and the waiter would queue up again behind everyone). An aborted
 * wait leaves at once and gives up its place. A set keeps arrival order and
 * lets a waiter leave from anywhere in O(1): aborting many waiters out of a
 * list was quadratic.
 */
import { AbortError } from './errors.js';
import { whenAborted } from './abort-watch.js';

export class RoomWaiters {
  readonly #waiters = new Set<() => void>();

  /** Sends waiting: while there are any, a new send queues up behind them. */
  get size(): number {
    return this.#waiters.size;
  }

  /**
   * Resolves with what `admit` returns, called once there is room for this
   * waiter; rejects `AbortError` (`executed: false`) as soon as `signal` fires.
   */
  wait<T>(signal: AbortSignal | undefined, admit: () => Promise<T>): Promise<T> {
    if (signal?.aborted === true) return Promise.reject(aborted());
    return new Promise<T>((resolve, reject) => {
      const enter = (): void => {
        stopWatching?.();
        resolve(admit());
      };
      const stopWatching =
        signal &&
        whenAborted(signal, () => {
          // Left in the list, it would take a place meant for the next sender.
          this.#waiters.delete(enter);
          reject(aborted());
        });
      this.#waiters.add(enter);
    });
  }

  /** Admits waiters, first come first, while `hasRoom()` says there is room. */
  admit(hasRoom: () => boolean): void {
    for (const enter of this.#waiters) {
      if (!hasRoom()) return;
      this.#waiters.delete(enter);
      enter();
    }
  }
}

function aborted(): AbortError {
  return new AbortError('aborted while waiting for queue room; not executed', { executed: false });
}
