import { ValidationError, open, type Engine } from '../dist/src/index.js';
import { toWire } from '../dist/src/errors.js';
import { oddValuesDomain } from '../dist/test/fixtures/odd-values-domain.js';
import { useTempDirs } from './support/temp-dir.js';

const tempDir = useTempDirs();

describe('error details that structured clone cannot copy', () => {
  let engine: Engine<typeof oddValuesDomain>;

  beforeAll(async () => {
    engine = await open({ domain: oddValuesDomain, dataDir: tempDir(), shards: 1 });
  });
  afterAll(() => engine.close());

  it.each([
    ['function', { hint: '[function hint]' }],
    ['symbol', { tag: '[Symbol(audit)]' }],
    ['class-instance', { limit: '[object Money]' }],
    ['cycle', { rule: { name: 'limit', self: '[cycle: refers back to an enclosing object]' } }],
  ] as const)('reject the command with its ValidationError, details with a %s described as text, the rest kept', async (details, described) => {
    const rejection = engine.send('Reject', { id: 'r', details });
    await expect(rejection).rejects.toBeInstanceOf(ValidationError);
    await expect(rejection).rejects.toMatchObject({
      message: 'r: total is over the limit',
      details: { type: 'Reject', aggregateId: 'r', field: 'total', ...described },
    });
  });

  it('fail only their own command: the others of the batch commit and the worker keeps running', async () => {
    const crashesBefore = engine.stats().shards[0]!.crashes;
    const outcomes = await Promise.allSettled([
      engine.send('Put', { id: 'before', state: { n: 1 } }),
      engine.send('Reject', { id: 'bad', details: 'function' }),
      engine.send('Put', { id: 'after', state: { n: 2 } }),
    ]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((outcomes[1] as PromiseRejectedResult).reason).toBeInstanceOf(ValidationError);
    expect(engine.stats().shards[0]!.crashes).toBe(crashesBefore);
    expect(await engine.get('before')).toEqual({ n: 1 });
    expect(await engine.get('after')).toEqual({ n: 2 });
    expect(await engine.exists('bad')).toBe(false);
  });

  it('cut details nested too deep for a copy, keeping their top', async () => {
    const rejection = engine.send('Reject', { id: 'deep', details: 'deep' });
    await expect(rejection).rejects.toBeInstanceOf(ValidationError);
    const { details } = (await rejection.catch((error: unknown) => error)) as ValidationError;
    expect(details?.field).toBe('total');
    expect(JSON.stringify(details)).toContain('[nested deeper than');
  });

  it('cross the thread boundary as plain data from toWire, whatever user code put in them', () => {
    const odd: Record<string, unknown> = {
      fn: function audit() {},
      sym: Symbol.for('x'),
      date: new Date(0),
      cause: new RangeError('too big'),
      map: new Map([[1, 2]]),
      list: [1, () => 2],
      plain: { kept: true },
    };
    odd.loop = odd;
    const wire = toWire(new ValidationError('refused', odd));
    expect(() => structuredClone(wire)).not.toThrow();
    expect(wire.details).toEqual({
      fn: '[function audit]',
      sym: '[Symbol(x)]',
      date: '1970-01-01T00:00:00.000Z',
      cause: '[RangeError: too big]',
      map: '[object Map]',
      list: [1, '[function (anonymous)]'],
      plain: { kept: true },
      loop: '[cycle: refers back to an enclosing object]',
    });
  });
});
