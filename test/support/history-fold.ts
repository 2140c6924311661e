import type { StoredEvent } from '../../dist/src/index.js';

/**
 * Reads a whole history, checking that versions run 1, 2, 3 … and that each
 * event's `previousState` is the state of the one before; returns the last
 * state (`undefined` for none) and how many events there were.
 */
export async function foldHistory<S extends object>(history: AsyncIterable<StoredEvent<S>>): Promise<{ state: S | undefined; versions: number }> {
  let state: S | undefined;
  let versions = 0;
  for await (const event of history) {
    expect(event.version).toBe(++versions);
    expect(event.previousState).toEqual(state);
    state = event.state;
  }
  return { state, versions };
}
