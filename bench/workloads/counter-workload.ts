/** Counter commands shared by the engine runs and the baselines. */
import type { BaselineCommand } from '../baselines/single-thread-store.js';

export function counterId(index: number): string {
  return `counter-${index}`;
}

/** `count` increments spread round-robin over `aggregates` counters. */
export function* incrementCommands(count: number, aggregates: number): Generator<BaselineCommand> {
  for (let i = 0; i < count; i++) yield { type: 'Increment', payload: { id: aggregates === 1 ? 'hot' : counterId(i % aggregates), by: 1 + (i % 7) } };
}
