/**
 * The order domain: an `Order` aggregate with three commands. This module is
 * imported by the main thread (types, routing) and by every shard worker
 * (validate, emit), so it holds only pure logic.
 */
// --8<-- [domain]
import { ValidationError, defineDomain } from '../../src/index.js';

export type OrderStatus = 'Pending' | 'Confirmed' | 'Shipped';

export interface Order {
  readonly id: string;
  readonly status: OrderStatus;
  readonly total: number;
  readonly items: number;
  readonly ship_to: string;
}

export interface OrderCommands {
  CreateOrder: { readonly id: string; readonly total: number; readonly items: number; readonly shipTo: string };
  ConfirmOrder: { readonly id: string };
  ShipOrder: { readonly id: string };
}

function requireStatus(order: Order | undefined, id: string, status: OrderStatus, action: string): Order {
  if (order === undefined) throw new ValidationError(`cannot ${action} order ${id}: it does not exist`, { field: 'id' });
  if (order.status !== status) {
    throw new ValidationError(`cannot ${action} order ${id}: it is ${order.status}, not ${status}`, { field: 'status', status: order.status });
  }
  return order;
}

export const orderDomain = defineDomain<Order, OrderCommands>({
  url: import.meta.url,
  aggregate: 'Order',
  commands: {
    CreateOrder: {
      event: 'OrderCreated',
      aggregateId: (p) => p.id,
      validate(current, p) {
        if (current !== undefined) throw new ValidationError(`order ${p.id} already exists`, { field: 'id' });
        if (!(p.total > 0)) throw new ValidationError(`order ${p.id}: total must be greater than 0, got ${p.total}`, { field: 'total' });
        if (!(p.items > 0)) throw new ValidationError(`order ${p.id}: items must be greater than 0, got ${p.items}`, { field: 'items' });
      },
      emit: (_current, p) => ({ id: p.id, status: 'Pending', total: p.total, items: p.items, ship_to: p.shipTo }),
    },
    ConfirmOrder: {
      event: 'OrderConfirmed',
      aggregateId: (p) => p.id,
      validate: (current, p) => void requireStatus(current, p.id, 'Pending', 'confirm'),
      emit: (current, p) => ({ ...requireStatus(current, p.id, 'Pending', 'confirm'), status: 'Confirmed' }),
    },
    ShipOrder: {
      event: 'OrderShipped',
      aggregateId: (p) => p.id,
      snapshot: true,
      validate: (current, p) => void requireStatus(current, p.id, 'Confirmed', 'ship'),
      emit: (current, p) => ({ ...requireStatus(current, p.id, 'Confirmed', 'ship'), status: 'Shipped' }),
    },
  },
});
// --8<-- [/domain]
