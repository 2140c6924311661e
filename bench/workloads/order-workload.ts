/** The order workload: order `i`'s three commands, the same for the engine and the baselines. */
import type { OrderCommands } from '../../examples/order/domain.js';
import type { BaselineCommand } from '../baselines/single-thread-store.js';

export function orderId(index: number): string {
  return `ORD-${index}`;
}

export function createOrder(index: number): OrderCommands['CreateOrder'] {
  return { id: orderId(index), total: 10 + (index % 100), items: 1 + (index % 5), shipTo: `Street ${index}, City` };
}

/** Create, confirm and ship of each order in turn: how a single-thread program would take them. */
export function* orderCommands(orders: number): Generator<BaselineCommand> {
  for (let i = 0; i < orders; i++) {
    yield { type: 'CreateOrder', payload: createOrder(i) };
    yield { type: 'ConfirmOrder', payload: { id: orderId(i) } };
    yield { type: 'ShipOrder', payload: { id: orderId(i) } };
  }
}
