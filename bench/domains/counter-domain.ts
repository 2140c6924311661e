/**
 * A counter aggregate for the scenarios that need cheap commands: many on
 * one aggregate (hot-aggregate, hydration), many events to subscribers
 * (fanout), and the latency scenario. `Checkpoint` asks for a snapshot.
 */
import { ValidationError, defineDomain } from '../../src/index.js';

export interface Counter {
  readonly id: string;
  readonly value: number;
  readonly increments: number;
  readonly checkpoints: number;
}

export interface CounterCommands {
  Increment: { readonly id: string; readonly by: number };
  Checkpoint: { readonly id: string };
}

export const counterDomain = defineDomain<Counter, CounterCommands>({
  url: import.meta.url,
  aggregate: 'BenchCounter',
  commands: {
    Increment: {
      event: 'Incremented',
      aggregateId: (p) => p.id,
      validate(_current, p) {
        if (!Number.isInteger(p.by) || p.by < 1) throw new ValidationError(`by must be a positive integer, got ${p.by}`, { field: 'by' });
      },
      emit: (current, p) => ({
        id: p.id,
        value: (current?.value ?? 0) + p.by,
        increments: (current?.increments ?? 0) + 1,
        checkpoints: current?.checkpoints ?? 0,
      }),
    },
    Checkpoint: {
      event: 'Checkpointed',
      aggregateId: (p) => p.id,
      snapshot: true,
      validate(current, p) {
        if (current === undefined) throw new ValidationError(`counter ${p.id} does not exist`, { field: 'id' });
      },
      emit: (current, p) => ({
        id: p.id,
        value: current?.value ?? 0,
        increments: current?.increments ?? 0,
        checkpoints: (current?.checkpoints ?? 0) + 1,
      }),
    },
  },
});
