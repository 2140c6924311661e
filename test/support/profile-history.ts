/** A data directory written by version 1 of the profile domain (field `mail`), for tests of a later version reading it. */
import { open } from '../../dist/src/index.js';
import { profileV1 } from '../../dist/test/fixtures/profile-v1-domain.js';

/** Writes one profile per ID into `dataDir` with the version 1 domain, closes the engine, and returns `dataDir`. */
export async function writeV1Profiles(dataDir: string, ids: readonly string[]): Promise<string> {
  const v1 = await open({ domain: profileV1, dataDir, shards: 1 });
  try {
    for (const id of ids) await v1.send('SetProfile', { id, name: id.toUpperCase(), mail: `${id}@example.org` });
  } finally {
    await v1.close();
  }
  return dataDir;
}
