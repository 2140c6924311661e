import { CommandFailedError, open } from '../dist/src/index.js';
import { oddUpcastProfileV2 } from '../dist/test/fixtures/profile-v2-odd-upcast-domain.js';
import { writeV1Profiles } from './support/profile-history.js';
import { useTempDirs } from './support/temp-dir.js';

const tempDir = useTempDirs();

describe('an upcaster whose patch holds a value JSON cannot carry', () => {
  it('fails the read with CommandFailedError naming the upcaster, event and aggregate; the worker keeps running', async () => {
    const dataDir = await writeV1Profiles(tempDir(), ['ada']);

    const v2 = await open({ domain: oddUpcastProfileV2, dataDir, shards: 1 });
    try {
      const read = v2.get('ada');
      await expect(read).rejects.toBeInstanceOf(CommandFailedError);
      await expect(read).rejects.toMatchObject({
        message: expect.stringMatching(/^upcaster from schema version 1 failed on ProfileSet v1 of ada: its patch\[2\]\.value is a Date, not a plain object or array; patches must be JSON data$/),
        details: { aggregateId: 'ada', version: 1 },
      });
      expect(v2.stats().shards[0]!.crashes).toBe(0);
      await v2.send('SetProfile', { id: 'grace', name: 'Grace', email: 'grace@example.org' });
      expect(await v2.get('grace')).toEqual({ name: 'Grace', email: 'grace@example.org' });
    } finally {
      await v2.close();
    }
  });
});
