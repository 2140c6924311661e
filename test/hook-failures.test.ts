/**
 * User hooks given to `open` that throw or reject (`onSnapshotCorrupt`,
 * `onHandlerError`, the logger's methods): each failure is reported, to the
 * logger when there is one, and the engine's work goes on; the process is
 * never taken down.
 */
import { open, type SnapshotCorruptReport } from '../dist/src/index.js';
import { counterDomain } from '../dist/test/fixtures/counter-domain.js';
import { corruptSnapshotDir } from './support/corrupt-snapshot.js';
import { useTempDirs } from './support/temp-dir.js';

const tempDir = useTempDirs();

interface LogLine {
  readonly level: string;
  readonly fields: Record<string, unknown>;
  readonly message: string;
}

function recordingLogger(): { lines: LogLine[]; logger: Record<'info' | 'warn' | 'error', (fields: Record<string, unknown>, message: string) => void> } {
  const lines: LogLine[] = [];
  const method = (level: string) => (fields: Record<string, unknown>, message: string) => void lines.push({ level, fields, message });
  return { lines, logger: { info: method('info'), warn: method('warn'), error: method('error') } };
}


const replayed = { id: 'bad', count: 12, log: new Array(12).fill(1) };

describe('an onSnapshotCorrupt hook that fails', () => {
  it.each([
    ['throws', (): void => {
      throw new Error('hook failed');
    }],
    ['rejects', async (): Promise<void> => {
      throw new Error('hook failed');
    }],
  ])('%s: the get that found the snapshot completes, and the failure is logged naming the aggregate', async (_how, hook) => {
    const dataDir = await corruptSnapshotDir(tempDir());
    const { lines, logger } = recordingLogger();
    const calls: SnapshotCorruptReport[] = [];
    let called!: () => void;
    // The report travels on the shard's event port, not with the get's reply: it can arrive after it.
    const hookCalled = new Promise<void>((resolve) => (called = resolve));
    const engine = await open({
      domain: counterDomain,
      dataDir,
      shards: 1,
      logger,
      onSnapshotCorrupt: (report) => {
        calls.push(report);
        called();
        return hook() as void;
      },
    });
    try {
      expect(await engine.get('bad')).toEqual(replayed);
      await hookCalled;
      await new Promise((resolve) => setImmediate(resolve));
      expect(calls).toEqual([{ shard: 0, aggregateId: 'bad', version: 10, reason: expect.stringMatching(/JSON/) }]);
      const failures = lines.filter((l) => l.level === 'error');
      expect(failures).toEqual([
        {
          level: 'error',
          message: 'onSnapshotCorrupt hook threw on the unreadable snapshot of bad (v10, shard 0): hook failed',
          fields: expect.objectContaining({ hook: 'onSnapshotCorrupt', shard: 0, aggregateId: 'bad', version: 10, err: new Error('hook failed') }),
        },
      ]);
      expect((await engine.send('Increment', { id: 'bad', by: 1 })).version).toBe(13);
    } finally {
      await engine.close();
    }
  });
});

describe('an onHandlerError hook that fails', () => {
  it('does not stop a forget whose onForget handler failed; the hook failure is logged', async () => {
    const { lines, logger } = recordingLogger();
    const engine = await open({
      domain: counterDomain,
      dataDir: tempDir(),
      shards: 1,
      logger,
      onHandlerError: () => {
        throw new Error('error hook failed');
      },
    });
    try {
      await engine.send('Increment', { id: 'gone', by: 1 });
      engine.onForget(() => {
        throw new Error('read model down');
      });
      await engine.forget('gone');
      expect(await engine.exists('gone')).toBe(false);
      expect(lines.filter((l) => l.level === 'error')).toEqual([
        {
          level: 'error',
          message: 'onHandlerError hook threw on the failure of subscription onForget on asynx.forgotten v1 of gone: error hook failed',
          fields: expect.objectContaining({ hook: 'onHandlerError', subscription: 'onForget', aggregateId: 'gone', err: new Error('error hook failed') }),
        },
      ]);
    } finally {
      await engine.close();
    }
  });
});

describe('a logger whose methods throw', () => {
  it('does not fail open, a handler failure or close; each failed log call is reported on stderr', async () => {
    const throwing = (): void => {
      throw new Error('log sink down');
    };
    const stderr: string[] = [];
    const consoleError = console.error;
    console.error = (...args: unknown[]) => void stderr.push(args.map(String).join(' '));
    try {
      const failures: unknown[] = [];
      const engine = await open({
        domain: counterDomain,
        dataDir: tempDir(),
        shards: 1,
        logger: { info: throwing, warn: throwing, error: throwing },
      });
      engine.subscribe('Incremented', (event) => {
        failures.push(event.version);
        throw new Error('projection down');
      }, { name: 'read-model' });
      expect((await engine.send('Increment', { id: 'l', by: 1 })).version).toBe(1);
      await engine.drain();
      expect(failures).toEqual([1]);
      await expect(engine.close()).resolves.toBeUndefined();
    } finally {
      console.error = consoleError;
    }
    expect(stderr).toEqual([
      'asynx: logger.info threw while logging "asynx engine started": Error: log sink down',
      'asynx: logger.error threw while logging "handler of subscription read-model failed on Incremented v1 of l": Error: log sink down',
      'asynx: logger.info threw while logging "asynx engine closed": Error: log sink down',
    ]);
  });
});
