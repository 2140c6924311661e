/**
 * The process that gets killed in the process-kill torture: an engine under
 * load from many concurrent senders over several shards, writing one line
 * per acknowledged event to an acknowledgement log. The log is fsynced every
 * few lines, and everything written to it survives SIGKILL (it sits in the
 * kernel's page cache), so every line is an event `send` resolved.
 *
 * usage: node kill-child.js <dataDir> <ackLog> <run>
 */
import { closeSync, fdatasyncSync, openSync, writeSync } from 'node:fs';
import { open } from '../../src/index.js';
import { orderDomain } from '../../examples/order/domain.js';

const [dataDir, ackLog, run] = process.argv.slice(2) as [string, string, string];
const SENDERS = 64;

const fd = openSync(ackLog, 'a');
let unsynced = 0;
let acknowledged = 0;
const engine = await open({ domain: orderDomain, dataDir, shards: 3 });
process.stdout.write('ready\n');
const report = setInterval(() => process.stdout.write(`acks ${acknowledged}\n`), 5);
report.unref();

async function sender(index: number): Promise<void> {
  for (let n = 0; ; n++) {
    const id = `R${run}-S${index}-O${n}`;
    const steps = [
      () => engine.send('CreateOrder', { id, total: 10 + n, items: 1 + (n % 4), shipTo: `street ${index}/${n}` }),
      () => engine.send('ConfirmOrder', { id }),
      () => engine.send('ShipOrder', { id }),
    ];
    for (const step of steps) {
      const event = await step();
      writeSync(fd, `${event.aggregateId} ${event.version} ${event.shard} ${event.position} ${event.id} ${JSON.stringify(event.state)}\n`);
      acknowledged++;
      if (++unsynced >= 64) {
        fdatasyncSync(fd);
        unsynced = 0;
      }
    }
  }
}

try {
  await Promise.all(Array.from({ length: SENDERS }, (_, i) => sender(i)));
} finally {
  closeSync(fd);
}
