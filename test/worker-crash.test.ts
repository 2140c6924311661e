import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, ShardCrashedError, ShuttingDownError, open } from '../dist/src/index.js';
import { counterDomain } from '../dist/test/fixtures/counter-domain.js';
import { FRAGILE_SETTINGS, fragileDomain } from '../dist/test/fixtures/fragile-domain.js';
import { STALLING_SETTINGS, stallingDomain, type Stall } from '../dist/test/fixtures/stalling-domain.js';
import { recordingLogger } from './support/recording-logger.js';
import { useTempDirs } from './support/temp-dir.js';

const tempDir = useTempDirs();

describe('a shard worker that crashes is restarted, and nothing acknowledged is lost', () => {
  it.each([
    ['calls process.exit', 'exit-worker', {}],
    ['runs out of memory under workerResourceLimits', 'exhaust-memory', { workerResourceLimits: { maxOldGenerationSizeMb: 48, maxYoungGenerationSizeMb: 8 } }],
    ['loops forever and is stopped by the batch watchdog', 'loop-forever', { batchTimeoutMs: 300 }],
  ] as const)('a command that %s', async (_what, how, options) => {
    const dataDir = tempDir();
    const engine = await open({ domain: counterDomain, dataDir, shards: 1, ...options });
    try {
      const acknowledged = await Promise.all(Array.from({ length: 30 }, (_, i) => engine.send('Increment', { id: `k${i % 3}`, by: 1 })));
      // Queued behind the crash in one batch: these share its fate.
      const crash = engine.send('Misbehave', { id: 'boom', how });
      const sameBatch = engine.send('Increment', { id: 'k0', by: 1 });
      await expect(crash).rejects.toBeInstanceOf(ShardCrashedError);
      await expect(crash).rejects.toMatchObject({ executed: 'unknown' });
      await expect(sameBatch).rejects.toBeInstanceOf(ShardCrashedError);
      if (how === 'loop-forever') await expect(crash).rejects.toThrow(/longer than batchTimeoutMs \(300 ms\)/);
      // The next commands on the shard succeed, and every acknowledged event is still there.
      const after = await engine.send('Increment', { id: 'k1', by: 1 });
      expect(after.version).toBe(11);
      for (const event of acknowledged) {
        const history = [];
        for await (const stored of engine.history(event.aggregateId, { from: event.version, to: event.version })) history.push(stored);
        expect(history).toEqual([event]);
      }
      expect(engine.stats().shards[0]!.crashes).toBe(1);
    } finally {
      await engine.close();
    }
  }, 60_000);
});

describe('the batch watchdog', () => {
  it('does not stop a worker whose batch finished while the main thread was too busy to take the reply', async () => {
    const engine = await open({ domain: counterDomain, dataDir: tempDir(), shards: 1, batchTimeoutMs: 50 });
    try {
      await engine.send('Increment', { id: 'warm', by: 1 });
      const sent = engine.send('Increment', { id: 'k', by: 1 });
      // Let the batch go to the worker, then hold the main thread well past batchTimeoutMs while the worker answers.
      await new Promise<void>((resolve) => setImmediate(resolve));
      const until = Date.now() + 400;
      while (Date.now() < until) {
        // the main thread is busy with something else
      }
      await expect(sent).resolves.toMatchObject({ aggregateId: 'k', version: 1 });
      expect(engine.stats().shards[0]!.crashes).toBe(0);
    } finally {
      await engine.close();
    }
  });

  it('stops every stuck batch, not only the first, and the shard keeps working in between', async () => {
    const engine = await open({ domain: counterDomain, dataDir: tempDir(), shards: 1, batchTimeoutMs: 200 });
    try {
      for (let round = 1; round <= 3; round++) {
        await expect(engine.send('Misbehave', { id: 'stuck', how: 'loop-forever' })).rejects.toThrow(/longer than batchTimeoutMs \(200 ms\)/);
        expect((await engine.send('Increment', { id: 'alive', by: 1 })).version).toBe(round);
      }
      expect(engine.stats().shards[0]!.crashes).toBe(3);
    } finally {
      await engine.close();
    }
  }, 30_000);
});

describe('stats().committed counts the commands of a batch whose worker died, once they are known to be committed', () => {
  it('counts those whose events the worker had published before it died', async () => {
    const engine = await open({ domain: counterDomain, dataDir: tempDir(), shards: 1 });
    try {
      // One batch: the repeat makes the shard commit the first command before it goes on to the crash.
      const sent = [
        engine.send('Increment', { id: 'a', by: 1 }, { commandId: 'c1' }),
        engine.send('Increment', { id: 'a', by: 1 }, { commandId: 'c1' }),
        engine.send('Misbehave', { id: 'boom', how: 'exit-worker' }),
      ];
      for (const send of sent) await expect(send).rejects.toBeInstanceOf(ShardCrashedError);
      await expect(engine.send('Increment', { id: 'a', by: 1 }, { commandId: 'c1' })).resolves.toMatchObject({ version: 1 });
      expect(engine.stats().shards[0]).toMatchObject({ committed: 1, crashes: 1 });
      expect(engine.stats().bus.published).toBe(1);
    } finally {
      await engine.close();
    }
  });

  it('counts one the worker committed but died before reporting, once its replacement has started', async () => {
    const engine = await open({ domain: counterDomain, dataDir: tempDir(), shards: 1 });
    try {
      await engine.send('Increment', { id: 'k', by: 1 });
      await expect(engine.send('Misbehave', { id: 'quiet', how: 'exit-on-next-publish' })).rejects.toBeInstanceOf(ShardCrashedError);
      await engine.send('Increment', { id: 'k', by: 1 });
      await expect(engine.exists('quiet')).resolves.toBe(true);
      expect(engine.stats().shards[0]).toMatchObject({ committed: 3, crashes: 1 });
    } finally {
      await engine.close();
    }
  });

  it("goes on counting on a ':memory:' shard, whose restarted worker starts an empty log", async () => {
    const engine = await open({ domain: counterDomain, dataDir: ':memory:', shards: 1 });
    try {
      for (let i = 0; i < 3; i++) await engine.send('Increment', { id: 'k', by: 1 });
      await expect(engine.send('Misbehave', { id: 'boom', how: 'exit-worker' })).rejects.toBeInstanceOf(ShardCrashedError);
      for (let i = 0; i < 2; i++) await engine.send('Increment', { id: 'k', by: 1 });
      expect(engine.stats().shards[0]).toMatchObject({ committed: 5, crashes: 1 });
    } finally {
      await engine.close();
    }
  });

  it('does not count what was committed before the engine opened', async () => {
    const dataDir = tempDir();
    const first = await open({ domain: counterDomain, dataDir, shards: 1 });
    await first.send('Increment', { id: 'k', by: 1 });
    await first.close();
    const engine = await open({ domain: counterDomain, dataDir, shards: 1 });
    try {
      await expect(engine.send('Misbehave', { id: 'boom', how: 'exit-worker' })).rejects.toBeInstanceOf(ShardCrashedError);
      await engine.send('Increment', { id: 'k', by: 1 });
      expect(engine.stats().shards[0]).toMatchObject({ committed: 1, crashes: 1 });
    } finally {
      await engine.close();
    }
  });
});

/** Makes the stalling domain misbehave `how` on its next import in a worker, once `marker` exists; returns the marker's path. */
function stallOnImport(dir: string, how: Stall): string {
  const marker = join(dir, 'stall');
  writeFileSync(STALLING_SETTINGS, JSON.stringify({ marker, how }));
  return marker;
}

describe('crashes are counted and logged where the worker died', () => {
  afterEach(() => rmSync(STALLING_SETTINGS, { force: true }));

  it('a crash is logged when the worker dies, and the restart only once the new worker has started', async () => {
    const { lines, logger } = recordingLogger();
    const engine = await open({ domain: counterDomain, dataDir: tempDir(), shards: 1, logger });
    try {
      await engine.send('Increment', { id: 'k', by: 1 });
      await expect(engine.send('Misbehave', { id: 'boom', how: 'exit-worker' })).rejects.toBeInstanceOf(ShardCrashedError);
      const logged = (): Array<[string, string]> => lines.filter((l) => l.fields.shard === 0).map((l) => [l.level, l.message]);
      expect(logged()).toEqual([['warn', "shard 0 worker died; a new one starts with the shard's next operation"]]);
      await engine.send('Increment', { id: 'k', by: 1 });
      expect(logged()).toEqual([
        ['warn', "shard 0 worker died; a new one starts with the shard's next operation"],
        ['info', 'shard 0 worker restarted'],
      ]);
      expect(lines.at(-1)!.fields).toEqual({ aggregate: 'Counter', shard: 0, head: 1, unreported: 0 });
    } finally {
      await engine.close();
    }
  });

  it('the restart names the commands the dead worker committed without reporting them', async () => {
    const { lines, logger } = recordingLogger();
    const engine = await open({ domain: counterDomain, dataDir: tempDir(), shards: 1, logger });
    try {
      await expect(engine.send('Misbehave', { id: 'quiet', how: 'exit-on-next-publish' })).rejects.toBeInstanceOf(ShardCrashedError);
      await engine.send('Increment', { id: 'k', by: 1 });
      expect(lines.find((l) => l.message === 'shard 0 worker restarted')?.fields).toEqual({ aggregate: 'Counter', shard: 0, head: 1, unreported: 1 });
    } finally {
      await engine.close();
    }
  });

  it.each([
    ['exits', 'exit-between-batches'],
    ['throws an uncaught error', 'throw-between-batches'],
  ] as const)('a worker that %s while no batch runs counts as a crash, logged when it dies, and the next operation restarts it', async (_what, how) => {
    const { lines, logger } = recordingLogger();
    const engine = await open({ domain: counterDomain, dataDir: tempDir(), shards: 1, logger });
    try {
      await engine.send('Misbehave', { id: 'timer', how });
      const died = "shard 0 worker died; a new one starts with the shard's next operation";
      while (!lines.some((l) => l.message === died)) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(engine.stats().shards[0]!.crashes).toBe(1);
      expect(lines.find((l) => l.message === died)!.fields).toMatchObject({ shard: 0, operations: 0 });
      await expect(engine.send('Increment', { id: 'k', by: 1 })).resolves.toMatchObject({ version: 1 });
      expect(lines.filter((l) => l.fields.shard === 0).map((l) => [l.level, l.message])).toEqual([
        ['warn', died],
        ['info', 'shard 0 worker restarted'],
      ]);
      expect(engine.stats().shards[0]).toMatchObject({ crashes: 1, committed: 2 });
    } finally {
      await engine.close();
    }
  });

  it('a crash whose restart fails counts once, and is logged once as a crash and once as a failed restart', async () => {
    const dir = tempDir();
    const marker = stallOnImport(dir, 'exit');
    const { lines, logger } = recordingLogger();
    const engine = await open({ domain: stallingDomain, dataDir: join(dir, 'data'), shards: 1, logger });
    try {
      writeFileSync(marker, '');
      await expect(engine.send('Exit', { id: 's' })).rejects.toBeInstanceOf(ShardCrashedError);
      await expect(engine.send('Bump', { id: 's' })).rejects.toThrow(/exited with code 7/);
      expect(engine.stats().shards[0]!.crashes).toBe(1);
      // Visible to monitoring too, not only in the log and to the next caller.
      expect(engine.stats().shards[0]!.broken).toMatch(/^shard 0 worker exited with code 7 while starting/);
      expect(lines.filter((l) => l.level !== 'info').map((l) => [l.level, l.message])).toEqual([
        ['warn', "shard 0 worker died; a new one starts with the shard's next operation"],
        ['error', expect.stringMatching(/^shard 0 cannot restart: shard 0 worker exited with code 7 while starting/)],
      ]);
    } finally {
      await engine.close();
    }
  });

  it('destroy() during a running batch is no crash: not counted, not logged, and the batch rejects ShuttingDownError', async () => {
    const { lines, logger } = recordingLogger();
    const engine = await open({ domain: counterDomain, dataDir: tempDir(), shards: 1, logger, batchTimeoutMs: 60_000 });
    await engine.send('Increment', { id: 'k', by: 1 });
    const stuck = engine.send('Misbehave', { id: 'stuck', how: 'loop-forever' });
    const refused = expect(stuck).rejects.toBeInstanceOf(ShuttingDownError);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await engine.destroy();
    await refused;
    expect(engine.stats().shards[0]!.crashes).toBe(0);
    expect(lines.filter((l) => l.level !== 'info').map((l) => l.message)).toEqual([]);
  });

  it('a worker that dies while erasing a forgotten aggregate counts as a crash and is logged like one in a batch', async () => {
    const { lines, logger } = recordingLogger();
    const engine = await open({ domain: counterDomain, dataDir: tempDir(), shards: 1, logger });
    try {
      await engine.send('Increment', { id: 'doomed', by: 1 });
      await engine.send('Misbehave', { id: 'trap', how: 'exit-on-next-erase' });
      const forget = engine.forget('doomed');
      await expect(forget).rejects.toBeInstanceOf(ShardCrashedError);
      await expect(forget).rejects.toThrow(/exited with code: 5/);
      expect(engine.stats().shards[0]!.crashes).toBe(1);
      expect(lines.filter((l) => l.level === 'warn').map((l) => [l.message, l.fields])).toEqual([
        ["shard 0 worker died; a new one starts with the shard's next operation", expect.objectContaining({ shard: 0, operations: 1 })],
      ]);
      // The replacement worker finishes the job.
      await engine.forget('doomed');
      await expect(engine.exists('doomed')).resolves.toBe(false);
    } finally {
      await engine.close();
    }
  });

  it('a restart cut short by destroy() fails what waited for it with ShuttingDownError, and is not logged as a restart that failed nor blamed on the domain module', async () => {
    const dir = tempDir();
    const marker = stallOnImport(dir, 'never-settle');
    const { lines, logger } = recordingLogger();
    // Room for a worker to start on a loaded machine, since the first start must succeed; the restart stalls until destroyed.
    const engine = await open({ domain: stallingDomain, dataDir: join(dir, 'data'), shards: 1, importTimeoutMs: 60_000, logger });
    writeFileSync(marker, '');
    await expect(engine.send('Exit', { id: 'd' })).rejects.toBeInstanceOf(ShardCrashedError);
    const waiting = engine.send('Bump', { id: 'd' });
    waiting.catch(() => undefined);
    // Let the restart begin: its import never finishes.
    await new Promise((resolve) => setTimeout(resolve, 300));
    await engine.destroy();
    await expect(waiting).rejects.toBeInstanceOf(ShuttingDownError);
    expect(lines.filter((l) => l.level === 'error').map((l) => l.message)).toEqual([]);
  });
});

describe('a domain module that never finishes importing in a worker', () => {
  afterEach(() => rmSync(STALLING_SETTINGS, { force: true }));

  it.each([
    ['waits at its top level for a promise that never settles', 'never-settle'],
    ['loops forever at its top level', 'loop-forever'],
  ] as const)('that %s fails open with ConfigError after importTimeoutMs, and frees the directory', async (_what, how) => {
    const dir = tempDir();
    const marker = stallOnImport(dir, how);
    writeFileSync(marker, '');
    const dataDir = join(dir, 'data');
    const attempt = open({ domain: stallingDomain, dataDir, shards: 2, importTimeoutMs: 300 });
    await expect(attempt).rejects.toBeInstanceOf(ConfigError);
    await expect(attempt).rejects.toThrow(/^shard \d worker did not finish importing domain module .*stalling-domain\.js within importTimeoutMs \(300 ms\)/);
    await expect(attempt).rejects.toMatchObject({ details: { option: 'importTimeoutMs', timeoutMs: 300, domainUrl: stallingDomain.url } });
    rmSync(marker);
    const engine = await open({ domain: stallingDomain, dataDir, shards: 2 });
    await engine.close();
  });

  it('that stalls only when restarted after a crash marks the shard broken, failing what was queued for it', async () => {
    const dir = tempDir();
    const marker = stallOnImport(dir, 'never-settle');
    // Room for a worker to start on a loaded machine, since the first start must succeed.
    const engine = await open({ domain: stallingDomain, dataDir: join(dir, 'data'), shards: 1, importTimeoutMs: 5000 });
    try {
      await engine.send('Bump', { id: 'r' });
      writeFileSync(marker, '');
      await expect(engine.send('Exit', { id: 'r' })).rejects.toBeInstanceOf(ShardCrashedError);
      const queued = [engine.send('Bump', { id: 'r' }), engine.send('Bump', { id: 'q' })];
      for (const send of queued) await expect(send).rejects.toThrow(/did not finish importing domain module .* within importTimeoutMs \(5000 ms\)/);
      await expect(engine.send('Bump', { id: 'r' })).rejects.toBeInstanceOf(ConfigError);
    } finally {
      await engine.close();
    }
  });
});

describe('a domain module that fails in the workers', () => {
  it('fails open once with ConfigError, without respawning workers in a loop', async () => {
    const dir = tempDir();
    const log = join(dir, 'loads.log');
    const marker = join(dir, 'broken');
    writeFileSync(marker, '');
    writeFileSync(FRAGILE_SETTINGS, JSON.stringify({ log, marker }));
    try {
      const attempt = open({ domain: fragileDomain, dataDir: join(dir, 'data'), shards: 2 });
      await expect(attempt).rejects.toBeInstanceOf(ConfigError);
      await expect(attempt).rejects.toThrow(/cannot import domain module .*fragile-domain\.js: licence server unreachable/);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(readFileSync(log, 'utf8')).toBe('load\nload\n');
    } finally {
      rmSync(FRAGILE_SETTINGS, { force: true });
    }
  });

  it('fails open with ConfigError naming the shard, the module and the exit code when the module exits its worker as it loads', async () => {
    const dir = tempDir();
    const marker = stallOnImport(dir, 'exit');
    writeFileSync(marker, '');
    const dataDir = join(dir, 'data');
    try {
      const attempt = open({ domain: stallingDomain, dataDir, shards: 2 });
      await expect(attempt).rejects.toBeInstanceOf(ConfigError);
      await expect(attempt).rejects.toThrow(/^shard \d worker exited with code 7 while starting \(importing domain module .*stalling-domain\.js/);
      await expect(attempt).rejects.toMatchObject({ details: { exitCode: 7, domainUrl: stallingDomain.url } });
      // Nothing is left holding the directory: once the module loads, the same directory opens.
      rmSync(marker);
      const engine = await open({ domain: stallingDomain, dataDir, shards: 2 });
      await engine.close();
    } finally {
      rmSync(STALLING_SETTINGS, { force: true });
    }
  });

  it('after a crash, a restart that exits its worker fails what was sent with the same ConfigError, and marks the shard broken', async () => {
    const dir = tempDir();
    const marker = stallOnImport(dir, 'exit');
    const engine = await open({ domain: stallingDomain, dataDir: join(dir, 'data'), shards: 1 });
    try {
      writeFileSync(marker, '');
      await expect(engine.send('Exit', { id: 's' })).rejects.toBeInstanceOf(ShardCrashedError);
      const next = engine.send('Bump', { id: 's' });
      await expect(next).rejects.toBeInstanceOf(ConfigError);
      await expect(next).rejects.toThrow(/^shard 0 worker exited with code 7 while starting/);
      await expect(engine.send('Bump', { id: 's' })).rejects.toMatchObject({ code: 'CONFIG_INVALID', details: { shard: 0, exitCode: 7 } });
    } finally {
      rmSync(STALLING_SETTINGS, { force: true });
      await engine.close();
    }
  });

  it('after a crash, a restart that fails marks the shard broken: later sends fail fast with the start-up error', async () => {
    const dir = tempDir();
    const log = join(dir, 'loads.log');
    const marker = join(dir, 'broken');
    writeFileSync(FRAGILE_SETTINGS, JSON.stringify({ log, marker }));
    const engine = await open({ domain: fragileDomain, dataDir: join(dir, 'data'), shards: 1 });
    try {
      expect((await engine.send('Bump', { id: 'f' })).version).toBe(1);
      writeFileSync(marker, '');
      await expect(engine.send('Exit', { id: 'f' })).rejects.toBeInstanceOf(ShardCrashedError);
      const next = engine.send('Bump', { id: 'f' });
      await expect(next).rejects.toBeInstanceOf(ConfigError);
      await expect(next).rejects.toThrow(/licence server unreachable/);
      await expect(engine.send('Bump', { id: 'f' })).rejects.toThrow(/licence server unreachable/);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(readFileSync(log, 'utf8')).toBe('load\nload\n');
      expect(existsSync(marker)).toBe(true);
    } finally {
      rmSync(FRAGILE_SETTINGS, { force: true });
      await engine.close();
    }
  });
});
