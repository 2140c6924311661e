/**
 * A synthetic CPU-bound domain: validate spins for the number of
 * microseconds the payload asks for, standing in for expensive business
 * rules, so the cost per command is known exactly and scaling can be read
 * against it.
 */
import { ValidationError, defineDomain } from '../../src/index.js';

export interface Burner {
  readonly id: string;
  readonly burns: number;
  readonly burnedMicros: number;
  readonly lastSeq: number;
}

export interface BusyCommands {
  Burn: { readonly id: string; readonly micros: number; readonly seq: number };
}

/** Spins on the clock rather than on arithmetic, so the cost does not depend on what the JIT makes of the loop. */
export function burn(micros: number): void {
  const until = performance.now() + micros / 1000;
  while (performance.now() < until) {
    // spinning is the work
  }
}

export const busyDomain = defineDomain<Burner, BusyCommands>({
  url: import.meta.url,
  aggregate: 'BenchBurner',
  commands: {
    Burn: {
      event: 'Burned',
      aggregateId: (p) => p.id,
      validate(_current, p) {
        if (!(p.micros >= 0) || p.micros > 1_000_000) throw new ValidationError(`micros must be 0 to 1000000, got ${p.micros}`, { field: 'micros' });
        burn(p.micros);
      },
      emit: (current, p) => ({
        id: p.id,
        burns: (current?.burns ?? 0) + 1,
        burnedMicros: (current?.burnedMicros ?? 0) + p.micros,
        lastSeq: p.seq,
      }),
    },
  },
});
