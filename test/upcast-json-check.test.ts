import { CommandFailedError, open } from '../dist/src/index.js';
import { oddUpcastProfileV2 } from '../dist/test/fixtures/profile-v2-odd-upcast-domain.js';
import { notAPatchProfileV2 } from '../dist/test/fixtures/profile-v2-not-a-patch-domain.js';
import { promiseUpcastProfileV2 } from '../dist/test/fixtures/profile-v2-promise-upcast-domain.js';
import { collect } from './support/collect.js';
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

describe('an upcaster that returns something other than a patch', () => {
  it('fails every read with CommandFailedError naming the upcaster and what it returned, not blaming the stored patch', async () => {
    const dataDir = await writeV1Profiles(tempDir(), ['ada']);

    const v2 = await open({ domain: notAPatchProfileV2, dataDir, shards: 1 });
    try {
      const refusal = {
        message: expect.stringMatching(
          /^upcaster from schema version 1 failed on ProfileSet v1 of ada: its patch is \{ op: 'add', path: '\/email', value: 'ada@example\.org' \}, not an array; an upcaster must return an RFC 6902 patch/,
        ),
        details: { aggregateId: 'ada', version: 1 },
      };
      await expect(v2.get('ada')).rejects.toMatchObject(refusal);
      await expect(collect(v2.history('ada'))).rejects.toMatchObject(refusal);
      await expect(v2.send('Rename', { id: 'ada', name: 'Ada L.' })).rejects.toMatchObject(refusal);
      await expect(v2.get('ada')).rejects.toBeInstanceOf(CommandFailedError);
    } finally {
      await v2.close();
    }
  });
});

describe('an upcaster that returns a promise', () => {
  it('fails the read with CommandFailedError saying so, and its rejection does not end the worker', async () => {
    const dataDir = await writeV1Profiles(tempDir(), ['ada']);

    const v2 = await open({ domain: promiseUpcastProfileV2, dataDir, shards: 1 });
    try {
      await expect(v2.get('ada')).rejects.toMatchObject({
        code: 'COMMAND_FAILED',
        message: 'upcaster from schema version 1 failed on ProfileSet v1 of ada: it returned a promise; an upcaster must return the rewritten patch synchronously',
      });
      // An unhandled rejection would end the worker once the batch is over.
      await new Promise((resolve) => setTimeout(resolve, 50));
      await v2.send('SetProfile', { id: 'grace', name: 'Grace', email: 'grace@example.org' });
      expect(v2.stats().shards[0]!.crashes).toBe(0);
    } finally {
      await v2.close();
    }
  });
});
