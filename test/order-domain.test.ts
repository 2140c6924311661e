/**
 * Every rule of the order example's domain (examples/order/domain.ts), as
 * given / when / then with the `asynx-ts/testing` helpers: no workers, no
 * files. The README's "Testing your domain" section quotes the block
 * between the snippet markers below.
 */
import { readFileSync } from 'node:fs';
import { ValidationError } from '../dist/src/index.js';
import { given } from '../dist/src/testing/index.js';
import { orderDomain } from '../dist/examples/order/domain.js';

const create = { id: 'ORD-1', total: 99.5, items: 2, shipTo: '12 Harbour Lane' } as const;
const pending = { id: 'ORD-1', status: 'Pending', total: 99.5, items: 2, ship_to: '12 Harbour Lane' } as const;

describe('CreateOrder', () => {
  // --8<-- [create]
  it('creates a pending order', () => {
    given(orderDomain)
      .when('CreateOrder', { id: 'ORD-1', total: 99.5, items: 2, shipTo: '12 Harbour Lane' })
      .then({ id: 'ORD-1', status: 'Pending', total: 99.5, items: 2, ship_to: '12 Harbour Lane' });
  });

  it('rejects a total of 0 or less', () => {
    given(orderDomain)
      .when('CreateOrder', { id: 'ORD-1', total: 0, items: 2, shipTo: '12 Harbour Lane' })
      .then(ValidationError, 'total must be greater than 0');
  });

  it('rejects an order that already exists', () => {
    given(orderDomain, [['CreateOrder', { id: 'ORD-1', total: 99.5, items: 2, shipTo: '12 Harbour Lane' }]])
      .when('CreateOrder', { id: 'ORD-1', total: 5, items: 1, shipTo: 'elsewhere' })
      .then(ValidationError, 'order ORD-1 already exists');
  });
  // --8<-- [/create]

  it('produces OrderCreated at version 1, stored as a patch from {}', () => {
    const event = given(orderDomain).when('CreateOrder', create).thenEvent('OrderCreated');
    expect(event).toMatchObject({ name: 'OrderCreated', command: 'CreateOrder', aggregateId: 'ORD-1', version: 1, previousState: undefined });
    expect(event.state).toEqual(pending);
    expect(event.patch).toEqual([
      { op: 'add', path: '/id', value: 'ORD-1' },
      { op: 'add', path: '/status', value: 'Pending' },
      { op: 'add', path: '/total', value: 99.5 },
      { op: 'add', path: '/items', value: 2 },
      { op: 'add', path: '/ship_to', value: '12 Harbour Lane' },
    ]);
  });

  it.each([0, -1, -0.01])('rejects total %p, naming the field', (total) => {
    const error = given(orderDomain).when('CreateOrder', { ...create, total }).then(ValidationError);
    expect(error.message).toMatch(/total must be greater than 0/);
    expect(error.details).toMatchObject({ field: 'total', type: 'CreateOrder', aggregateId: 'ORD-1' });
  });

  it.each([0, -3])('rejects %p items, naming the field', (items) => {
    const error = given(orderDomain).when('CreateOrder', { ...create, items }).then(ValidationError, `items must be greater than 0, got ${items}`);
    expect(error.details).toMatchObject({ field: 'items' });
  });

  it('checks existence before the amounts', () => {
    given(orderDomain, pending).when('CreateOrder', { ...create, total: 0 }).then(ValidationError, 'already exists');
  });

  it('rejects creating an order that was already confirmed or shipped', () => {
    given(orderDomain, { ...pending, status: 'Confirmed' }).when('CreateOrder', create).then(ValidationError, 'already exists');
    given(orderDomain, [
      ['CreateOrder', create],
      ['ConfirmOrder', { id: 'ORD-1' }],
      ['ShipOrder', { id: 'ORD-1' }],
    ])
      .when('CreateOrder', create)
      .then(ValidationError, 'already exists');
  });

  it('accepts the smallest valid amounts', () => {
    given(orderDomain)
      .when('CreateOrder', { id: 'ORD-2', total: 0.01, items: 1, shipTo: '' })
      .then({ id: 'ORD-2', status: 'Pending', total: 0.01, items: 1, ship_to: '' });
  });
});

describe('ConfirmOrder', () => {
  it('confirms a pending order, changing only its status', () => {
    const event = given(orderDomain, [['CreateOrder', create]])
      .when('ConfirmOrder', { id: 'ORD-1' })
      .then({ ...pending, status: 'Confirmed' });
    expect(event).toMatchObject({ name: 'OrderConfirmed', version: 2, previousState: pending });
    expect(event.patch).toEqual([{ op: 'replace', path: '/status', value: 'Confirmed' }]);
  });

  it('rejects an order that does not exist', () => {
    given(orderDomain).when('ConfirmOrder', { id: 'ORD-9' }).then(ValidationError, 'cannot confirm order ORD-9: it does not exist');
  });

  it.each(['Confirmed', 'Shipped'] as const)('rejects an order that is %s, not Pending', (status) => {
    const error = given(orderDomain, { ...pending, status })
      .when('ConfirmOrder', { id: 'ORD-1' })
      .then(ValidationError, `cannot confirm order ORD-1: it is ${status}, not Pending`);
    expect(error.details).toMatchObject({ field: 'status', status });
  });

  it('rejects confirming twice', () => {
    given(orderDomain, [
      ['CreateOrder', create],
      ['ConfirmOrder', { id: 'ORD-1' }],
    ])
      .when('ConfirmOrder', { id: 'ORD-1' })
      .then(ValidationError, 'it is Confirmed, not Pending');
  });
});

describe('ShipOrder', () => {
  it('ships a confirmed order', () => {
    const event = given(orderDomain, [
      ['CreateOrder', create],
      ['ConfirmOrder', { id: 'ORD-1' }],
    ])
      .when('ShipOrder', { id: 'ORD-1' })
      .then({ ...pending, status: 'Shipped' });
    expect(event).toMatchObject({ name: 'OrderShipped', version: 3 });
    expect(event.patch).toEqual([{ op: 'replace', path: '/status', value: 'Shipped' }]);
  });

  it('asks the engine for a snapshot after shipping', () => {
    expect(orderDomain.commands.ShipOrder.snapshot).toBe(true);
  });

  it('rejects an order that does not exist', () => {
    given(orderDomain).when('ShipOrder', { id: 'ORD-9' }).then(ValidationError, 'cannot ship order ORD-9: it does not exist');
  });

  it.each(['Pending', 'Shipped'] as const)('rejects an order that is %s, not Confirmed', (status) => {
    given(orderDomain, { ...pending, status })
      .when('ShipOrder', { id: 'ORD-1' })
      .then(ValidationError, `cannot ship order ORD-1: it is ${status}, not Confirmed`);
  });

  it('rejects shipping straight after creation (the example’s deliberate mistake)', () => {
    given(orderDomain, [['CreateOrder', create]]).when('ShipOrder', { id: 'ORD-1' }).then(ValidationError, 'it is Pending, not Confirmed');
  });
});

describe('the whole life of an order', () => {
  it('goes Pending → Confirmed → Shipped, one version per command', () => {
    const history = [
      ['CreateOrder', create],
      ['ConfirmOrder', { id: 'ORD-1' }],
    ] as const;
    const before = given(orderDomain, history);
    expect(before.state).toEqual({ ...pending, status: 'Confirmed' });
    expect(before.when('ShipOrder', { id: 'ORD-1' }).thenEvent('OrderShipped').version).toBe(3);
  });
});

describe('the README', () => {
  it('quotes the block between the snippet markers above in "Testing your domain"', () => {
    const source = readFileSync('test/order-domain.test.ts', 'utf8');
    const block = /\/\/ --8<-- \[create\]\n([\s\S]*?) {2}\/\/ --8<-- \[\/create\]/.exec(source)?.[1];
    expect(block).toBeDefined();
    const dedented = block!.replace(/^ {2}/gm, '');
    expect(readFileSync('README.md', 'utf8')).toContain(`import { orderDomain } from './domain.js';\n\n${dedented}\`\`\``);
  });
});
