import { CommandFailedError, InvalidArgumentError, MAX_JSON_DEPTH, open, type Engine } from '../dist/src/index.js';
import { nested, oddValuesDomain } from '../dist/test/fixtures/odd-values-domain.js';
import { useTempDirs } from './support/temp-dir.js';

const tempDir = useTempDirs();

describe(`values nested deeper than MAX_JSON_DEPTH (${MAX_JSON_DEPTH})`, () => {
  let engine: Engine<typeof oddValuesDomain>;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = tempDir();
    engine = await open({ domain: oddValuesDomain, dataDir, shards: 1, batchTimeoutMs: 5000 });
  });
  afterAll(() => engine.close());

  it('is a documented limit of 512 levels', () => {
    expect(MAX_JSON_DEPTH).toBe(512);
  });

  it('refuses a state from emit with CommandFailedError naming the command, the aggregate and the limit; nothing is stored', async () => {
    const refusal = engine.send('Nest', { id: 'deep', levels: 2500 });
    await expect(refusal).rejects.toBeInstanceOf(CommandFailedError);
    await expect(refusal).rejects.toMatchObject({
      message: expect.stringMatching(/^emit of Nest on deep returned state that cannot be stored: state\.c\.c.*… nests objects and arrays more than 512 levels deep/),
      details: { type: 'Nest', aggregateId: 'deep' },
    });
    expect(await engine.exists('deep')).toBe(false);
    expect(engine.stats().shards[0]!.crashes).toBe(0);
  });

  it('refuses one level past the limit and keeps the shard serving the other commands of its batch', async () => {
    const [tooDeep, bystander] = await Promise.allSettled([
      engine.send('Nest', { id: 'over', levels: MAX_JSON_DEPTH + 1 }),
      engine.send('Put', { id: 'bystander', state: { ok: true } }),
    ]);
    expect(tooDeep.status).toBe('rejected');
    expect((tooDeep as PromiseRejectedResult).reason).toBeInstanceOf(CommandFailedError);
    expect(bystander.status).toBe('fulfilled');
    expect(engine.stats().shards[0]!.crashes).toBe(0);
  });

  it('stores a state exactly at the limit and reads it back, also after a restart', async () => {
    await engine.send('Nest', { id: 'limit', levels: MAX_JSON_DEPTH }, { commandId: 'nest-limit' });
    expect(await engine.get('limit')).toEqual(nested(MAX_JSON_DEPTH));
    const again = await engine.send('Nest', { id: 'limit', levels: MAX_JSON_DEPTH }, { commandId: 'nest-limit' });
    expect(again.state).toEqual(nested(MAX_JSON_DEPTH));
    await engine.close();
    engine = await open({ domain: oddValuesDomain, dataDir, shards: 1, batchTimeoutMs: 5000 });
    expect(await engine.get('limit')).toEqual(nested(MAX_JSON_DEPTH));
  });

  it('refuses a payload at send with InvalidArgumentError naming the field', async () => {
    const refusal = engine.send('Put', { id: 'p', state: nested(MAX_JSON_DEPTH) });
    await expect(refusal).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(refusal).rejects.toMatchObject({
      message: expect.stringMatching(/^Put: payload\.state\.c\.c.*… nests objects and arrays more than 512 levels deep/),
      details: { type: 'Put', path: expect.stringMatching(/^payload\.state\.c/) },
    });
    expect(await engine.exists('p')).toBe(false);
  });

  it('refuses metadata at send with InvalidArgumentError naming the field', async () => {
    const refusal = engine.send('Put', { id: 'm', state: {} }, { metadata: { trace: nested(MAX_JSON_DEPTH) } });
    await expect(refusal).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(refusal).rejects.toMatchObject({ message: expect.stringMatching(/^Put: metadata\.trace\.c.*… nests objects and arrays more than 512 levels deep/) });
    expect(await engine.exists('m')).toBe(false);
  });
});
