/**
 * R1: a process killed with SIGKILL at random moments under load (many
 * concurrent senders, three shards) loses no acknowledged event and leaves
 * no partial write. The long version is `npm run test:torture`.
 */
import { torture } from '../dist/test/harness/torture.js';
import { useTempDirs } from './support/temp-dir.js';

const tempDir = useTempDirs();

describe('process killed with SIGKILL under load', () => {
  it('keeps every acknowledged event, gap-free streams and intact files across several kills', async () => {
    const summary = await torture(tempDir(), 4);
    expect(summary.acknowledged).toBeGreaterThan(0);
    expect(summary).toMatchObject({ kills: 4, lost: 0, gaps: 0, corrupt: 0 });
    expect(summary.found).toBe(summary.acknowledged);
  }, 120_000);
});
