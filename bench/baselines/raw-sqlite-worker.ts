/**
 * One raw-sqlite writer thread: prepares its rows, reports ready, then on
 * `go` inserts them in transactions of the given size into its own file.
 * Everything but the insert is done before `go`, so the timing is storage alone.
 */
import { randomUUID } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import { INSERT_EVENT, countEvents, openEventFile, type EventValues } from './event-table.js';

export interface RawWriterData {
  readonly file: string;
  readonly shard: number;
  readonly events: number;
  readonly perTransaction: number;
}

export type RawWriterMessage =
  | { readonly kind: 'ready' }
  | { readonly kind: 'done'; readonly transactionMs: number[]; readonly stored: number };

/** Rows shaped like the order example's events (three per order), so row sizes match the engine's. */
function orderLikeRows(shard: number, events: number): EventValues[] {
  const occurredAt = new Date().toISOString();
  const rows: EventValues[] = new Array<EventValues>(events);
  for (let i = 0; i < events; i++) {
    const order = `ORD-${shard}-${Math.floor(i / 3)}`;
    const step = i % 3;
    const patch =
      step === 0
        ? JSON.stringify([
            { op: 'add', path: '/id', value: order },
            { op: 'add', path: '/status', value: 'Pending' },
            { op: 'add', path: '/total', value: 10 + (i % 100) },
            { op: 'add', path: '/items', value: 1 + (i % 5) },
            { op: 'add', path: '/ship_to', value: `Street ${i}, City` },
          ])
        : JSON.stringify([{ op: 'replace', path: '/status', value: step === 1 ? 'Confirmed' : 'Shipped' }]);
    rows[i] = [randomUUID(), order, step + 1, ['OrderCreated', 'OrderConfirmed', 'OrderShipped'][step]!, 1, occurredAt, patch];
  }
  return rows;
}

const port = parentPort;
if (port === null) throw new Error('raw-sqlite-worker runs as a worker thread');
const data = workerData as RawWriterData;
const db = openEventFile(data.file);
const insert = db.prepare<EventValues>(INSERT_EVENT);
const appendAll = db.transaction((rows: readonly EventValues[]) => {
  for (const row of rows) insert.run(...row);
}).immediate;
const rows = orderLikeRows(data.shard, data.events);

port.once('message', () => {
  const transactionMs: number[] = [];
  for (let start = 0; start < rows.length; start += data.perTransaction) {
    const began = performance.now();
    appendAll(rows.slice(start, start + data.perTransaction));
    transactionMs.push(performance.now() - began);
  }
  const stored = countEvents(db);
  db.close();
  const message: RawWriterMessage = { kind: 'done', transactionMs, stored };
  port.postMessage(message);
});
const ready: RawWriterMessage = { kind: 'ready' };
port.postMessage(ready);
