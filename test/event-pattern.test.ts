import { InvalidArgumentError } from '../dist/src/index.js';
import { compilePattern } from '../dist/src/event-pattern.js';

describe('subscription patterns', () => {
  it.each([
    // pattern, event name, matches
    ['OrderCreated', 'OrderCreated', true],
    ['OrderCreated', 'OrderCreatedLate', false],
    ['OrderCreated', 'orderCreated', false],
    ['Order*', 'OrderCreated', true],
    ['Order*', 'Order', true],
    ['Order*', 'PaymentTaken', false],
    ['*', 'Anything.at.all', true],
    ['order.*.ORD-1', 'order.created.ORD-1', true],
    ['order.*.ORD-1', 'order.created.ORD-2', false],
    ['order.*.ORD-1', 'order.created.late.ORD-1', false],
    ['order.*', 'order.created.ORD-1', true],
    ['order.*', 'orders.created', false],
    ['*.created', 'order.created', true],
    ['*.created', 'order.line.created', false],
    ['a+b', 'a+b', true],
    ['a+b', 'aab', false],
    [/^Order(Created|Shipped)$/, 'OrderShipped', true],
    [/^Order(Created|Shipped)$/, 'OrderConfirmed', false],
  ] as const)('%p on %p → %p', (pattern, name, expected) => {
    expect(compilePattern(pattern)(name)).toBe(expected);
  });

  it('delivers internal asynx.* events only to patterns that name them', () => {
    expect(compilePattern('*')('asynx.forgotten')).toBe(false);
    expect(compilePattern(/.*/)('asynx.forgotten')).toBe(false);
    expect(compilePattern('asynx.forgotten')('asynx.forgotten')).toBe(true);
    expect(compilePattern('asynx.*')('asynx.forgotten')).toBe(true);
    expect(compilePattern(/^asynx\./)('asynx.forgotten')).toBe(true);
  });

  it('matches every time with a global RegExp (no lastIndex carried between events)', () => {
    const matches = compilePattern(/Order/g);
    expect([matches('OrderCreated'), matches('OrderCreated'), matches('OrderCreated')]).toEqual([true, true, true]);
  });

  it.each([[''], ['Order **'], ['Order Created'], ['a**b'], [7], [null], [undefined]])('rejects %p at subscribe time', (pattern) => {
    expect(() => compilePattern(pattern)).toThrow(InvalidArgumentError);
  });
});
