/** Fixed CPU work for the parallel-capacity probe: starts on the first message, reports when done. */
import { parentPort, workerData } from 'node:worker_threads';

const port = parentPort;
if (port === null) throw new Error('parallel-capacity-worker runs as a worker thread');
const iterations = workerData as number;

port.once('message', () => {
  // Arithmetic rather than a clock spin: a descheduled thread must not count as working.
  let x = 0;
  for (let i = 0; i < iterations; i++) x += Math.sqrt(i + x) % 7;
  port.postMessage(x);
});
port.postMessage('ready');
