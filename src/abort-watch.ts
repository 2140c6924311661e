/**
 * Waiting for an `AbortSignal` with one listener per signal, however many
 * operations wait on it. Applications give one signal to many calls (a
 * request's, a bulk import's): a listener per call made Node print
 * MaxListenersExceededWarning past ten and made each removal search the
 * signal's whole list.
 */

interface Watch {
  readonly callbacks: Set<() => void>;
  readonly listener: () => void;
}

const watches = new WeakMap<AbortSignal, Watch>();

/**
 * Calls `callback` once, when `signal` fires; the returned function cancels
 * that. `signal` must not have fired yet: callers refuse an aborted signal
 * before they start waiting.
 */
export function whenAborted(signal: AbortSignal, callback: () => void): () => void {
  const watch = watches.get(signal) ?? startWatching(signal);
  // A wrapper of its own, so that the same callback given twice is two waits.
  const entry = (): void => callback();
  watch.callbacks.add(entry);
  return () => {
    if (!watch.callbacks.delete(entry) || watch.callbacks.size > 0 || watches.get(signal) !== watch) return;
    watches.delete(signal);
    signal.removeEventListener('abort', watch.listener);
  };
}

function startWatching(signal: AbortSignal): Watch {
  const callbacks = new Set<() => void>();
  const listener = (): void => {
    watches.delete(signal);
    for (const waiting of callbacks) waiting();
  };
  const watch = { callbacks, listener };
  watches.set(signal, watch);
  signal.addEventListener('abort', listener, { once: true });
  return watch;
}
