/**
 * R5: the entry points not covered by the send matrix in
 * engine-errors.test.ts, each with wrong types and empty values. Every one
 * gets a typed error that names the problem, and the data directory's files
 * are byte-for-byte unchanged afterwards.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidArgumentError, open, type Engine } from '../dist/src/index.js';
import { counterDomain } from '../dist/test/fixtures/counter-domain.js';
import { useCounterEngine } from './support/counter-engine.js';
import { rejectionOf } from './support/rejection.js';
import { useTempDirs } from './support/temp-dir.js';

const tempDir = useTempDirs();

function fingerprint(dataDir: string): Record<string, string> {
  const sums: Record<string, string> = {};
  for (const file of readdirSync(dataDir).sort()) sums[file] = createHash('sha256').update(readFileSync(join(dataDir, file))).digest('hex');
  return sums;
}

type AnyEngine = Engine<typeof counterDomain>;
const bad = <T>(value: unknown): T => value as T;
/** An object whose keys cannot be listed: its `ownKeys` trap throws. */
const hostileProxy = <T>(): T =>
  new Proxy({}, {
    ownKeys() {
      throw new Error('proxy boom');
    },
  }) as T;

const cases: Array<[string, (engine: AnyEngine) => unknown, RegExp]> = [
  ['preload("")', (e) => e.preload(''), /preload: aggregate ID must not be empty/],
  ['preload(42)', (e) => e.preload(bad(42)), /preload: aggregate ID must be a string, got number/],
  ['forget(undefined)', (e) => e.forget(bad(undefined)), /forget: aggregate ID must be a string, got undefined/],
  ['history("x", "all")', (e) => e.history('x', bad('all')), /history\(x\): options must be an object/],
  ['history("x", { form: 1 })', (e) => e.history('x', bad({ form: 1 })), /unknown history option "form" \(did you mean "from"\?\)/],
  ['subscribe(/x/, handler, { timeoutMs: "1s" })', (e) => e.subscribe(/x/, () => undefined, bad({ timeoutMs: '1s' })), /subscribe option timeoutMs must be an integer number of milliseconds from 1 to 2147483647, or Infinity for no limit, got "1s"/],
  ['subscribe("X", handler, { fallbak })', (e) => e.subscribe('X', () => undefined, bad({ fallbak: () => undefined })), /unknown subscribe option "fallbak" \(did you mean "fallback"\?\)/],
  ['subscribe("X", handler, { durable: 7 })', (e) => e.subscribe('X', () => undefined, bad({ durable: 7 })), /durable must be a subscription name/],
  ['listen("")', (e) => e.listen(''), /pattern cannot be empty/],
  ['listen("X", { count: 1.5 })', (e) => e.listen('X', { count: 1.5 }), /count must be an integer >= 1, got 1.5/],
  ['waitFor("X", { timeoutMs: 0 })', (e) => e.waitFor('X', { timeoutMs: 0 }), /waitFor option timeoutMs must be an integer number of milliseconds from 1 to 2147483647, or Infinity for no limit, got 0/],
  ['waitFor("X", { signal: {} })', (e) => e.waitFor('X', bad({ signal: {} })), /signal must be an AbortSignal/],
  ['sendAndWait with a function payload', (e) => e.sendAndWait('Increment', bad({ id: 'x', by: () => 1 })), /payload\.by is a function/],
  [
    'send with metadata over maxPayloadBytes',
    (e) => e.send('Increment', { id: 'x', by: 1 }, { metadata: { note: 'x'.repeat(1_100_000) } }),
    /^Increment: metadata is 1100011 bytes as JSON, over maxPayloadBytes \(1048576\)$/,
  ],
  ['send with metadata that is not JSON', (e) => e.send('Increment', { id: 'x', by: 1 }, bad({ metadata: { at: new Date() } })), /metadata\.at is a Date/],
  [
    'send with metadata whose getter throws',
    (e) => e.send('Increment', { id: 'x', by: 1 }, bad({ metadata: { get at() { throw new Error('no clock'); } } })),
    /metadata\.at could not be read: no clock/,
  ],
  [
    'send with metadata whose key listing throws (a proxy)',
    (e) => e.send('Increment', { id: 'x', by: 1 }, { metadata: hostileProxy() }),
    /^Increment: metadata could not be read: proxy boom; metadata must be JSON data$/,
  ],
  [
    'send with metadata nesting a proxy whose key listing throws',
    (e) => e.send('Increment', { id: 'x', by: 1 }, { metadata: { trace: hostileProxy() } }),
    /^Increment: metadata\.trace could not be read: proxy boom; metadata must be JSON data$/,
  ],
  [
    'send with metadata whose prototype cannot be read (a proxy)',
    (e) => e.send('Increment', { id: 'x', by: 1 }, { metadata: new Proxy({}, { getPrototypeOf() { throw new Error('no proto'); } }) }),
    /^Increment: reading the metadata threw: no proto$/,
  ],
  ['send with a payload whose key listing throws (a proxy)', (e) => e.send('Increment', hostileProxy()), /^Increment: payload could not be read: proxy boom; payloads must be JSON data$/],
  ['get with a lone high surrogate in the ID', (e) => e.get('\uD800'), /^get: aggregate ID has a lone UTF-16 surrogate \\ud800 at index 0; IDs must be well-formed Unicode$/],
  ['exists with a lone low surrogate in the ID', (e) => e.exists('ab\uDC00'), /^exists: aggregate ID has a lone UTF-16 surrogate \\udc00 at index 2;/],
  ['preload with a reversed surrogate pair', (e) => e.preload('x\uDE00\uD83D'), /^preload: aggregate ID has a lone UTF-16 surrogate \\ude00 at index 1;/],
  ['history with a lone surrogate in the ID', (e) => e.history('h\uD83D'), /^history: aggregate ID has a lone UTF-16 surrogate \\ud83d at index 1;/],
  ['forget with a lone surrogate in the ID', (e) => e.forget('\uDFFF'), /^forget: aggregate ID has a lone UTF-16 surrogate \\udfff at index 0;/],
  [
    'send whose aggregateId(payload) returns a lone surrogate',
    (e) => e.send('Increment', { id: 'ok-😀-\uD83D', by: 1 }),
    /^Increment: aggregateId\(payload\): aggregate ID has a lone UTF-16 surrogate \\ud83d at index 6;/,
  ],
  [
    'send with a lone surrogate in the commandId',
    (e) => e.send('Increment', { id: 'x', by: 1 }, { commandId: 'cmd-\uDC00' }),
    /^Increment: commandId has a lone UTF-16 surrogate \\udc00 at index 4; IDs must be well-formed Unicode$/,
  ],
  [
    'a durable subscription named with a lone surrogate',
    (e) => e.subscribe('X', () => undefined, { durable: 'read-model-\uD800' }),
    /^subscribe option durable has a lone UTF-16 surrogate \\ud800 at index 11; IDs must be well-formed Unicode$/,
  ],
  ['send with null as the payload', (e) => e.send('Increment', bad(null)), /Increment: the payload must be a plain object, got null/],
  ['send with an array as the payload', (e) => e.send('Increment', bad([{ id: 'x', by: 1 }])), /Increment: the payload must be a plain object, got an array/],
  ['send with a Map as the payload', (e) => e.send('Increment', bad(new Map([['id', 'x']]))), /Increment: the payload must be a plain object, got an instance of a class/],
  [
    'send with a payload whose getter throws',
    (e) => e.send('Increment', bad({ id: 'x', get by() { throw new Error('boom'); } })),
    /Increment: payload\.by could not be read: boom/,
  ],
  ['send with an empty commandId', (e) => e.send('Increment', { id: 'x', by: 1 }, { commandId: '' }), /commandId must be a non-empty string/],
  ['send with a signal that is not an AbortSignal', (e) => e.send('Increment', { id: 'x', by: 1 }, bad({ signal: 'stop' })), /signal must be an AbortSignal/],
  ['close({ timeoutMs: -1 })', (e) => e.close({ timeoutMs: -1 }), /close\(\): timeoutMs must be an integer number of milliseconds from 0 to 2147483647, or Infinity for no limit, got -1/],
];

describe('bad input at every entry point', () => {
  let engine: AnyEngine;
  let dataDir: string;
  let before: Record<string, string>;

  beforeAll(async () => {
    dataDir = tempDir();
    engine = await open({ domain: counterDomain, dataDir, shards: 2 });
    await engine.send('Increment', { id: 'x', by: 1 });
    await engine.close();
    // Reopen and let start-up settle, then take the fingerprint the bad calls must not change.
    engine = await open({ domain: counterDomain, dataDir, shards: 2 });
    await engine.get('x');
    before = fingerprint(dataDir);
  });

  afterAll(async () => {
    expect(fingerprint(dataDir)).toEqual(before);
    await engine.close();
  });

  it.each(cases)('%s', async (_name, call, message) => {
    const error = await rejectionOf(() => call(engine));
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as Error).message).toMatch(message);
  });
});

describe('waitFor reports bad input as a rejected promise, never as a throw', () => {
  const engine = useCounterEngine(tempDir);

  it.each([
    ['an empty pattern', () => engine().waitFor(''), /pattern cannot be empty/],
    ['a negative timeoutMs', () => engine().waitFor('X', { timeoutMs: -1 }), /waitFor option timeoutMs must be an integer number of milliseconds from 1 .*, got -1/],
    ['an unknown option', () => engine().waitFor('X', bad({ timeout: 5 })), /unknown waitFor option "timeout" \(did you mean "timeoutMs"\?\)/],
    ['a signal that is not an AbortSignal', () => engine().waitFor('X', bad({ signal: 'stop' })), /waitFor option signal must be an AbortSignal/],
    ['null as the options', () => engine().waitFor('X', bad(null)), /waitFor: options must be an object/],
  ])('%s', async (_name, call, message) => {
    let returned: Promise<unknown> | undefined;
    expect(() => {
      returned = call();
    }).not.toThrow();
    await expect(returned).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(returned).rejects.toThrow(message);
  });
});

describe('close with bad arguments rejects and leaves the engine open', () => {
  const engine = useCounterEngine(tempDir);

  it.each([
    ['null', null, /^close\(\): options must be an object, got null$/],
    ['a string', 'x', /^close\(\): options must be an object, got "x"$/],
    ['an array', [], /^close\(\): options must be an object, got \[\]$/],
    ['an unknown option', { bogus: 1 }, /^unknown close option "bogus"$/],
    ['a misspelt option', { timeout: 5 }, /^unknown close option "timeout" \(did you mean "timeoutMs"\?\)$/],
    ['a fractional timeoutMs', { timeoutMs: 1.5 }, /^close\(\): timeoutMs must be an integer number of milliseconds .*, got 1\.5$/],
    ['a string timeoutMs', { timeoutMs: '5' }, /^close\(\): timeoutMs must be an integer number of milliseconds .*, got "5"$/],
  ])('%s', async (_name, options, message) => {
    let returned: Promise<void> | undefined;
    expect(() => {
      returned = engine().close(bad(options));
    }).not.toThrow();
    await expect(returned).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(returned).rejects.toThrow(message);
    expect((await engine().send('Increment', { id: 'open', by: 1 })).aggregateId).toBe('open');
  });
});

describe('IDs with surrogate pairs (well-formed Unicode)', () => {
  it('are stored and read back unchanged', async () => {
    const engine = await open({ domain: counterDomain, dataDir: tempDir(), shards: 2 });
    try {
      const id = 'order-😀-𝄞';
      await engine.send('Increment', { id, by: 1 }, { commandId: 'cmd-😀' });
      const again = await engine.send('Increment', { id, by: 1 }, { commandId: 'cmd-😀' });
      expect(again.version).toBe(1);
      expect(await engine.get(id)).toMatchObject({ id, count: 1 });
      const history: string[] = [];
      for await (const event of engine.history(id)) history.push(event.aggregateId);
      expect(history).toEqual([id]);
    } finally {
      await engine.close();
    }
  });
});
