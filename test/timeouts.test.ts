/**
 * One rule for every timeout the API takes: a whole number of milliseconds
 * up to 2,147,483,647 (Node's timer limit; a longer delay would fire after
 * 1 ms), or Infinity for no limit where waiting forever makes sense (close,
 * waitFor, subscribe). Anything else is refused, naming the option and the
 * largest value.
 */
import { ConfigError, InvalidArgumentError, TimeoutError, open } from '../dist/src/index.js';
import { counterDomain } from '../dist/test/fixtures/counter-domain.js';
import { useCounterEngine, type CounterEngine } from './support/counter-engine.js';
import { rejectionOf } from './support/rejection.js';
import { useTempDirs } from './support/temp-dir.js';

const tempDir = useTempDirs();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const TOO_LONG = 2 ** 31;


describe('Infinity means no limit', () => {
  let engine: CounterEngine;
  beforeEach(async () => {
    engine = await open({ domain: counterDomain, dataDir: tempDir(), shards: 1, onHandlerError: () => undefined });
  });
  afterEach(() => engine.close());

  it('close({ timeoutMs: Infinity }) finishes the accepted commands', async () => {
    const running = engine.send('Spin', { id: 'c', ms: 150 });
    const queued = engine.send('Increment', { id: 'c', by: 1 });
    await engine.close({ timeoutMs: Infinity });
    expect((await running).version).toBe(1);
    expect((await queued).version).toBe(2);
  });

  it('a subscription with timeoutMs: Infinity lets a slow handler finish', async () => {
    const handled: number[] = [];
    engine.subscribe(
      'Incremented',
      async (event) => {
        await sleep(100);
        handled.push(event.version);
      },
      { name: 'unhurried', timeoutMs: Infinity },
    );
    await engine.sendAndWait('Increment', { id: 's', by: 1 });
    expect(handled).toEqual([1]);
    expect(engine.stats().bus.subscribers).toMatchObject([{ name: 'unhurried', delivered: 1, failed: 0 }]);
  });

  it('waitFor with timeoutMs: Infinity waits for the event', async () => {
    const outcome = engine.waitFor('Spun', { timeoutMs: Infinity }).then(
      (event) => event.name,
      (error: unknown) => error,
    );
    await sleep(50);
    await engine.send('Spin', { id: 'w', ms: 0 });
    expect(await outcome).toBe('Spun');
  });
});

describe('finite timeouts above 2,147,483,647 ms are refused', () => {
  const engine = useCounterEngine(tempDir);

  it.each([
    [
      'waitFor',
      (e: CounterEngine) => e.waitFor('X', { timeoutMs: 3e9 }),
      'waitFor option timeoutMs must be an integer number of milliseconds from 1 to 2147483647, or Infinity for no limit, got 3000000000',
    ],
    [
      'subscribe',
      (e: CounterEngine) => e.subscribe('X', () => undefined, { timeoutMs: 3e9 }),
      'subscribe option timeoutMs must be an integer number of milliseconds from 1 to 2147483647, or Infinity for no limit, got 3000000000',
    ],
    [
      'a durable subscribe',
      (e: CounterEngine) => e.subscribe('X', () => undefined, { durable: 'd', timeoutMs: 3e9 }),
      'subscribe option timeoutMs must be an integer number of milliseconds from 1 to 2147483647, or Infinity for no limit, got 3000000000',
    ],
    [
      'a fractional subscribe timeout',
      (e: CounterEngine) => e.subscribe('X', () => undefined, { timeoutMs: 1.5 }),
      'subscribe option timeoutMs must be an integer number of milliseconds from 1 to 2147483647, or Infinity for no limit, got 1.5',
    ],
    [
      'close',
      (e: CounterEngine) => e.close({ timeoutMs: TOO_LONG }),
      'close(): timeoutMs must be an integer number of milliseconds from 0 to 2147483647, or Infinity for no limit, got 2147483648',
    ],
  ])('%s', async (_call, call, message) => {
    const error = await rejectionOf(() => call(engine()));
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as Error).message).toBe(message);
  });

  it('leaves the engine open and working after the refusals', async () => {
    expect((await engine().send('Increment', { id: 'still-open', by: 1 })).version).toBe(1);
    await expect(engine().waitFor('Never', { timeoutMs: 20 })).rejects.toBeInstanceOf(TimeoutError);
  });
});

describe('timeouts among the open options', () => {
  it.each([
    ['batchTimeoutMs', { batchTimeoutMs: 3e9 }, 'option batchTimeoutMs must be an integer number of milliseconds from 10 to 86400000, got 3000000000'],
    ['batchTimeoutMs', { batchTimeoutMs: Infinity }, 'option batchTimeoutMs must be an integer number of milliseconds from 10 to 86400000, got Infinity'],
    ['importTimeoutMs', { importTimeoutMs: 5 }, 'option importTimeoutMs must be an integer number of milliseconds from 10 to 86400000, got 5'],
    ['importTimeoutMs', { importTimeoutMs: Infinity }, 'option importTimeoutMs must be an integer number of milliseconds from 10 to 86400000, got Infinity'],
    ['checkpointIntervalMs', { checkpointIntervalMs: Infinity }, 'option checkpointIntervalMs must be an integer number of milliseconds from 10 to 3600000, got Infinity'],
  ])('%s is bounded below the timer limit and has no Infinity', async (_option, extra, message) => {
    const attempt = open({ domain: counterDomain, dataDir: tempDir(), shards: 1, ...extra });
    await expect(attempt).rejects.toBeInstanceOf(ConfigError);
    await expect(attempt).rejects.toThrow(message);
  });
});
