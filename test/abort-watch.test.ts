/**
 * Waiting for an AbortSignal with one listener per signal: checked against
 * a plain record of which waits are still on when the signal fires.
 */
import { getEventListeners } from 'node:events';
import fc from 'fast-check';
import { whenAborted } from '../dist/src/abort-watch.js';

type Step = { readonly kind: 'watch' } | { readonly kind: 'cancel'; readonly pick: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.constant<Step>({ kind: 'watch' }),
  fc.nat().map<Step>((pick) => ({ kind: 'cancel', pick })),
);

describe('whenAborted', () => {
  it('calls exactly the waits not cancelled, once each, and holds one listener while any wait is on', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), fc.boolean(), (steps, fire) => {
        const controller = new AbortController();
        const calls: number[] = [];
        const cancels: Array<() => void> = [];
        const on = new Set<number>();
        for (const s of steps) {
          if (s.kind === 'watch') {
            const id = cancels.length;
            cancels.push(whenAborted(controller.signal, () => calls.push(id)));
            on.add(id);
          } else if (cancels.length > 0) {
            // Cancelling twice, or after the wait was cancelled, changes nothing.
            const id = s.pick % cancels.length;
            cancels[id]!();
            on.delete(id);
          }
          expect(getEventListeners(controller.signal, 'abort')).toHaveLength(on.size > 0 ? 1 : 0);
        }
        if (fire) controller.abort();
        expect(calls).toEqual(fire ? [...on].sort((a, b) => a - b) : []);
        for (const cancel of cancels) cancel();
        expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
      }),
    );
  });

  it('counts the same callback given twice as two waits', () => {
    const controller = new AbortController();
    let calls = 0;
    const callback = (): number => calls++;
    const cancelFirst = whenAborted(controller.signal, callback);
    whenAborted(controller.signal, callback);
    cancelFirst();
    controller.abort();
    expect(calls).toBe(1);
  });

  it('skips a wait that an earlier callback cancels while the signal fires, as removeEventListener would', () => {
    const controller = new AbortController();
    const calls: string[] = [];
    let cancelSecond = (): void => undefined;
    whenAborted(controller.signal, () => {
      calls.push('first');
      cancelSecond();
    });
    cancelSecond = whenAborted(controller.signal, () => calls.push('second'));
    controller.abort();
    expect(calls).toEqual(['first']);
  });

  it('watches a new signal afresh after the last wait on another was cancelled', () => {
    const first = new AbortController();
    whenAborted(first.signal, () => undefined)();
    const second = new AbortController();
    let fired = false;
    whenAborted(second.signal, () => (fired = true));
    second.abort();
    expect(fired).toBe(true);
    expect(getEventListeners(first.signal, 'abort')).toHaveLength(0);
  });
});
