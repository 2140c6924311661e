/**
 * The README's walk-through, as a program the build type-checks and the
 * tests run: open an engine on the order domain, send commands, read back,
 * subscribe, close.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ValidationError, open } from '../src/index.js';
import { orderDomain } from './order/domain.js';

const dataDir = mkdtempSync(join(tmpdir(), 'asynx-quick-start-'));

// --8<-- [open]
const engine = await open({ domain: orderDomain, dataDir, shards: 2 });

engine.subscribe('Order*', (event) => {
  console.log(`${event.name} ${event.aggregateId} v${event.version}: ${event.previousState?.status ?? '-'} -> ${event.state.status}`);
});

const created = await engine.send('CreateOrder', { id: 'ORD-42', total: 25, items: 2, shipTo: 'Lisbon' });
console.log(`stored as version ${created.version} at position ${created.position} of shard ${created.shard}`);
await engine.send('ConfirmOrder', { id: 'ORD-42' });

try {
  await engine.send('CreateOrder', { id: 'ORD-43', total: 0, items: 1, shipTo: 'Porto' });
} catch (error) {
  if (error instanceof ValidationError) console.log(`rejected: ${error.message} (${error.code})`);
}

console.log(await engine.get('ORD-42')); // { id: 'ORD-42', status: 'Confirmed', ... }
console.log(await engine.exists('ORD-43')); // false

for await (const event of engine.history('ORD-42')) console.log(event.version, event.name);

await engine.drain(); // every handler has run
await engine.close();
// --8<-- [/open]

rmSync(dataDir, { recursive: true, force: true });
