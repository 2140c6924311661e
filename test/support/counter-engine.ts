/**
 * One counter engine shared by the tests of a `describe` block: opened on a
 * fresh directory before them, closed after them. Call inside the block.
 */
import { open, type Engine } from '../../dist/src/index.js';
import { counterDomain } from '../../dist/test/fixtures/counter-domain.js';

export type CounterEngine = Engine<typeof counterDomain>;

export function useCounterEngine(tempDir: () => string): () => CounterEngine {
  let engine: CounterEngine | undefined;
  beforeAll(async () => {
    engine = await open({ domain: counterDomain, dataDir: tempDir(), shards: 1 });
  });
  afterAll(() => engine?.close());
  return () => {
    if (engine === undefined) throw new Error('the shared engine is opened in beforeAll; use it inside a test');
    return engine;
  };
}
