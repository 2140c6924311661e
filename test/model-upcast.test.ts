/**
 * Schema evolution against a model: random profile commands under version 1
 * of the domain (whose `Rename` snapshots), then under version 2 (`mail`
 * renamed `email`, version-1 patches upcast on every read), with restarts
 * between that change `snapshotEvery` and `cacheSize`. After each sequence
 * `get`, the fold of `history` and the model agree in version 2's shape,
 * whichever of snapshots, replays and the cache the state came from.
 * `ASYNX_PROPERTY_RUNS` sets the number of sequences (a tenth of them here).
 */
import fc from 'fast-check';
import { open, type Engine } from '../dist/src/index.js';
import { profileV1 } from '../dist/test/fixtures/profile-v1-domain.js';
import { profileV2, type ProfileV2 } from '../dist/test/fixtures/profile-v2-domain.js';
import { foldHistory } from './support/history-fold.js';
import { useTempDirs } from './support/temp-dir.js';

const tempDir = useTempDirs();
const RUNS = Math.max(1, Math.round(Number(process.env.ASYNX_PROPERTY_RUNS ?? 200) / 10));

type Command = { readonly kind: 'set'; readonly id: number; readonly name: string; readonly mail: string } | { readonly kind: 'rename'; readonly id: number; readonly name: string };

const command: fc.Arbitrary<Command> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), id: fc.integer({ min: 0, max: 2 }), name: fc.constantFrom('Ada', 'Bo', 'Cy'), mail: fc.constantFrom('a@x', 'b@x', '') }),
  fc.record({ kind: fc.constant('rename' as const), id: fc.integer({ min: 0, max: 2 }), name: fc.constantFrom('Ada', 'Bo', 'Cy', 'Di') }),
);

const options = fc.record({ snapshotEvery: fc.constantFrom(0, 1, 2), cacheSize: fc.constantFrom(0, 1, 10_000) });

/** What each command does, in version 2's shape (both versions agree on it). */
function applyModel(model: Map<string, ProfileV2>, c: Command): void {
  const id = `p${c.id}`;
  model.set(id, c.kind === 'set' ? { name: c.name, email: c.mail } : { name: c.name, email: model.get(id)?.email ?? '' });
}

async function runAll(engine: Engine<typeof profileV1> | Engine<typeof profileV2>, commands: readonly Command[], v2: boolean): Promise<void> {
  // Sent without waiting: one aggregate's commands still run in order.
  await Promise.all(
    commands.map((c) => {
      const id = `p${c.id}`;
      if (c.kind === 'rename') return (engine as Engine<typeof profileV2>).send('Rename', { id, name: c.name });
      return v2
        ? (engine as Engine<typeof profileV2>).send('SetProfile', { id, name: c.name, email: c.mail })
        : (engine as Engine<typeof profileV1>).send('SetProfile', { id, name: c.name, mail: c.mail });
    }),
  );
}

describe('an upgraded domain reads what the old one stored like a model says (property)', () => {
  it('for random commands before and after the upgrade, with restarts that change snapshots and caching', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(command, { maxLength: 12 }),
        fc.array(command, { maxLength: 8 }),
        options,
        options,
        async (before, after, first, second) => {
          const dataDir = tempDir();
          const model = new Map<string, ProfileV2>();
          const v1 = await open({ domain: profileV1, dataDir, shards: 2, ...first });
          await runAll(v1, before, false);
          await v1.close();
          before.forEach((c) => applyModel(model, c));

          let v2 = await open({ domain: profileV2, dataDir, shards: 2, ...first });
          try {
            // Reads between the two halves hydrate (and seal) some aggregates before the new commands.
            for (const [id, profile] of model) if (id.endsWith('1')) expect(await v2.get(id)).toEqual(profile);
            await runAll(v2, after, true);
            after.forEach((c) => applyModel(model, c));
            await v2.close();
            v2 = await open({ domain: profileV2, dataDir, shards: 2, ...second });
            for (const [id, profile] of model) {
              expect(await v2.get(id)).toEqual(profile);
              expect((await foldHistory(v2.history(id))).state).toEqual(profile);
              // Twice: the second read may come from the cache or from the snapshot the first one sealed.
              expect(await v2.get(id)).toEqual(profile);
            }
          } finally {
            await v2.close();
          }
        },
      ),
      { numRuns: RUNS },
    );
  }, 300_000);
});
