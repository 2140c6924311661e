/**
 * The order example's domain as the order scenario runs it: the same
 * validate and emit, without the snapshot the example stores at `ShipOrder`.
 * The baselines store no snapshots, so the engine stores none either and
 * every variant writes the same rows (a snapshot per order measured about
 * 2.8 cpu µs per command). Its own module because workers import a domain
 * by its module's URL.
 */
import { defineDomain } from '../../src/index.js';
import { orderDomain, type Order, type OrderCommands } from '../../examples/order/domain.js';

const { CreateOrder, ConfirmOrder, ShipOrder } = orderDomain.commands;

export const benchOrderDomain = defineDomain<Order, OrderCommands>({
  url: import.meta.url,
  aggregate: orderDomain.aggregate,
  commands: { CreateOrder, ConfirmOrder, ShipOrder: { ...ShipOrder, snapshot: false } },
});
