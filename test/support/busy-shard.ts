/**
 * A counter engine's shard kept busy: a `Spin` command of `ms` running in
 * the worker, so what is sent next waits in the main-thread queue (where
 * backpressure and cancellation act). Resolves once the spin has had
 * `startMs` to reach the worker, with the spin's own promise.
 */
import type { CounterEngine } from './counter-engine.js';

export async function occupyShard(engine: CounterEngine, ms: number, startMs = 50): Promise<{ readonly busy: Promise<unknown> }> {
  const busy = engine.send('Spin', { id: 'busy', ms });
  await new Promise((resolve) => setTimeout(resolve, startMs));
  return { busy };
}
