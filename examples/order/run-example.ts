/**
 * The order example's flow, as a function so the script and the tests run
 * the same code: set up an engine, subscribe two projections, take three
 * orders through create → confirm → ship, show a rejected command, print
 * the final states and the outbox.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isAsynxError, open, type Engine } from '../../src/index.js';
import { orderDomain } from './domain.js';
import { createNotifier, createReporter } from './projections.js';

export interface ExampleOptions {
  /** Keep the data here; by default a fresh temporary directory, removed afterwards. */
  readonly dataDir?: string;
  readonly shards?: number;
  readonly write?: (line: string) => void;
}

const ORDERS = [
  { id: 'ORD-001', total: 99.99, items: 2, shipTo: '12 Harbour Lane, Bristol' },
  { id: 'ORD-002', total: 24.5, items: 1, shipTo: '3 Rue des Lilas, Lyon' },
  { id: 'ORD-003', total: 310, items: 5, shipTo: '88 King Street, Toronto' },
];

export async function runExample(options: ExampleOptions = {}): Promise<void> {
  const write = options.write ?? ((line: string) => console.log(line));
  const shards = options.shards ?? 4;
  const temporary = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'asynx-example-'));

  write('=== Asynx E-Commerce Order Example ===');
  write('');
  write(`Step 1: Setting up the engine (${shards} shards)...`);
  const removeTemporary = (): void => {
    if (temporary) rmSync(dataDir, { recursive: true, force: true });
  };
  let engine: Engine<typeof orderDomain>;
  try {
    engine = await open({ domain: orderDomain, dataDir, shards });
  } catch (error) {
    removeTemporary();
    throw error;
  }
  try {
    write(`✓ Engine started: ${shards} shard workers, data in ${temporary ? 'a temporary directory' : dataDir}`);
    write('');

    write('Step 2: Registering subscribers...');
    const notifier = createNotifier();
    engine.subscribe('Order*', createReporter(write), { name: 'reporter' });
    engine.subscribe('Order*', notifier.handle, { name: 'notifier' });
    write('✓ Reporter subscribed to Order*');
    write('✓ Notifier subscribed to Order*');
    write('');

    write('Step 3: Processing orders...');
    if (await engine.exists(ORDERS[0]!.id)) {
      write(`(${dataDir} already holds these orders from an earlier run; showing their stored state)`);
    } else {
      for (const order of ORDERS) {
        await engine.send('CreateOrder', order);
        await engine.drain();
        write(`✓ Order ${order.id} created`);
      }
      try {
        await engine.send('ShipOrder', { id: 'ORD-001' });
      } catch (error) {
        if (!isAsynxError(error)) throw error;
        write(`✗ ShipOrder ORD-001 rejected as expected: ${error.name} [${error.code}] ${error.message}`);
      }
      for (const order of ORDERS) {
        await engine.send('ConfirmOrder', { id: order.id });
        await engine.drain();
        write(`✓ Order ${order.id} confirmed`);
      }
      for (const order of ORDERS) {
        await engine.send('ShipOrder', { id: order.id });
        await engine.drain();
        write(`✓ Order ${order.id} shipped`);
      }
    }
    write('');

    write('Step 4: Final state of each order');
    for (const order of ORDERS) {
      const state = await engine.get(order.id);
      write(`${order.id}:`);
      for (const line of JSON.stringify(state, null, 2).split('\n')) write(line);
    }
    write('');

    write('Step 5: Notification outbox');
    notifier.outbox.forEach((message, i) => write(`${i + 1}. ${message}`));
    write('');
    await engine.close();
    write('✅ Example completed successfully!');
  } finally {
    await engine.close();
    removeTemporary();
  }
}
