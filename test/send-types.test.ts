/**
 * Type-level specification of `send`: each `@ts-expect-error` line must be a
 * compile error, or the type check of the test suite fails (`npm test` runs it).
 */
import type { Engine, StoredEvent } from '../dist/src/index.js';
import { orderDomain, type Order } from '../dist/examples/order/domain.js';

type Expect<T extends true> = T;
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

// Never called: only compiled.
function typeChecks(engine: Engine<typeof orderDomain>): void {
  void engine.send('CreateOrder', { id: 'ORD-1', total: 10, items: 1, shipTo: 'Oslo' });
  void engine.send('ShipOrder', { id: 'ORD-1' });

  // @ts-expect-error an unknown command name
  void engine.send('CancelOrder', { id: 'ORD-1' });
  // @ts-expect-error a payload missing a field
  void engine.send('CreateOrder', { id: 'ORD-1', total: 10, items: 1 });
  // @ts-expect-error a field of the wrong type
  void engine.send('CreateOrder', { id: 'ORD-1', total: '10', items: 1, shipTo: 'Oslo' });
  // @ts-expect-error another command's payload
  void engine.send('ConfirmOrder', { orderId: 'ORD-1' });
  // @ts-expect-error an unknown send option
  void engine.send('ShipOrder', { id: 'ORD-1' }, { commandID: 'x' });

  type Sent = Awaited<ReturnType<typeof engine.send<'ShipOrder'>>>;
  type Read = Awaited<ReturnType<typeof engine.get>>;
  const checks: [Expect<Equal<Sent, StoredEvent<Order>>>, Expect<Equal<Read, Order>>] = [true, true];
  void checks;
}

describe('send is typed by the domain', () => {
  it('compiles the valid calls and rejects the invalid ones (checked by the compiler)', () => {
    expect(typeof typeChecks).toBe('function');
  });
});
