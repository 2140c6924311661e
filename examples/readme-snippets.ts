/**
 * Short README snippets that are not whole programs, kept here so the build
 * type-checks them; test/readme.test.ts keeps the README's copies identical.
 */
import { Registry } from 'prom-client';
import type { Engine, StoredEvent } from '../src/index.js';
import { registerMetrics } from '../src/prometheus.js';
import type { Order, orderDomain } from './order/domain.js';

export function subscribeReadModel(engine: Engine<typeof orderDomain>, readModel: Map<string, Order>): () => void {
  const updateReadModel = (event: StoredEvent<Order>): void => {
    readModel.set(event.aggregateId, event.state);
  };
  // --8<-- [durable]
  const unsubscribe = engine.subscribe('Order*', updateReadModel, { durable: 'orders-read-model', from: 'beginning' });
  // --8<-- [/durable]
  return unsubscribe;
}

export function exportMetrics(engine: Engine<typeof orderDomain>): Registry {
  // --8<-- [metrics]
  const registry = new Registry();
  registerMetrics(engine, { registry, prefix: 'asynx_' }); // both optional: prom-client's global registry, 'asynx_'
  // GET /metrics → response with registry.contentType and await registry.metrics()
  // --8<-- [/metrics]
  return registry;
}
