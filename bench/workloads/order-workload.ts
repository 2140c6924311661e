/** The order workload: order `i`'s three commands, the same for the engine and the baselines. */
import type { OrderCommands } from '../../examples/order/domain.js';
import type { BaselineCommand } from '../baselines/single-thread-store.js';

/**
 * How orders are named: `default` is `ORD-<i>`, IDs that sort close to
 * the ones written just before them; `uuid` is a random-looking UUID per
 * order, as applications that name aggregates with UUID v4 have, so each
 * order's index entries land on pages of their own.
 */
export type OrderIds = 'default' | 'uuid';

export const ORDER_ID_WORKLOADS: readonly OrderIds[] = ['default', 'uuid'];

/** MurmurHash3's 32-bit finaliser: a bijection, so distinct inputs give distinct words. */
function fmix32(value: number): number {
  let h = value >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** A version 4 UUID derived from `index`: the same in every run and every process, distinct for indexes below 2^30. */
export function uuidFor(index: number): string {
  const hex = [0, 1, 2, 3].map((k) => fmix32(index * 4 + k).toString(16).padStart(8, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export function orderId(index: number, ids: OrderIds = 'default'): string {
  return ids === 'uuid' ? uuidFor(index) : `ORD-${index}`;
}

export function createOrder(index: number, ids: OrderIds = 'default'): OrderCommands['CreateOrder'] {
  return { id: orderId(index, ids), total: 10 + (index % 100), items: 1 + (index % 5), shipTo: `Street ${index}, City` };
}

/** Create, confirm and ship of each order in turn: how a single-thread program would take them. */
export function* orderCommands(orders: number, ids: OrderIds = 'default'): Generator<BaselineCommand> {
  for (let i = 0; i < orders; i++) {
    yield { type: 'CreateOrder', payload: createOrder(i, ids) };
    yield { type: 'ConfirmOrder', payload: { id: orderId(i, ids) } };
    yield { type: 'ShipOrder', payload: { id: orderId(i, ids) } };
  }
}
