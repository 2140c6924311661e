import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ConfigError, HASH_SCHEME, ShardCrashedError, StorageError, defineDomain, open } from '../dist/src/index.js';
import { counterDomain } from '../dist/test/fixtures/counter-domain.js';
import { orderDomain } from '../dist/examples/order/domain.js';
import { malformedDomain, misplacedDomain, missingModuleDomain } from '../dist/test/fixtures/broken-domains.js';
import { twinDomain } from '../dist/test/fixtures/twin-domains.js';
import { useTempDirs } from './support/temp-dir.js';

const tempDir = useTempDirs();

describe('open fails loudly on a bad start', () => {
  it.each([
    ['a misspelt option', { shard: 2 }, /unknown option "shard" \(did you mean "shards"\?\)/],
    ['a shard count of 0', { shards: 0 }, /option shards must be an integer from 1 to 256, got 0/],
    ['a fractional shard count', { shards: 1.5 }, /option shards must be an integer/],
    ['an unknown synchronous mode', { synchronous: 'off' }, /option synchronous must be one of 'full', 'normal', got "off"/],
    ['a string queue depth', { queueDepth: '10' }, /option queueDepth must be an integer from 1 to 10000000, got "10"/],
    ['a bad onFull', { onFull: 'drop' }, /option onFull must be one of 'reject', 'wait'/],
    ['an empty dataDir', { dataDir: '' }, /option dataDir must be a directory path/],
    ['a non-function hook', { onHandlerError: 'log' }, /option onHandlerError must be a function/],
    ['a shard count of NaN, described as NaN', { shards: NaN }, /option shards must be an integer from 1 to 256, got NaN$/],
    ['an infinite queue depth, described as Infinity', { queueDepth: Infinity }, /option queueDepth must be an integer from 1 to 10000000, got Infinity$/],
    ['workerResourceLimits that is an array', { workerResourceLimits: [64] }, /option workerResourceLimits must be an object, got \[ 64 \]$/],
    [
      'an unknown workerResourceLimits key',
      { workerResourceLimits: { maxHeapMb: 64 } },
      /^unknown workerResourceLimits key "maxHeapMb"$/,
    ],
    [
      'a misspelt workerResourceLimits key',
      { workerResourceLimits: { maxOldGenerationSizeMB: 64 } },
      /^unknown workerResourceLimits key "maxOldGenerationSizeMB" \(did you mean "maxOldGenerationSizeMb"\?\)$/,
    ],
    [
      'a workerResourceLimits value that is not a number',
      { workerResourceLimits: { maxOldGenerationSizeMb: 'lots' } },
      /option workerResourceLimits\.maxOldGenerationSizeMb must be a positive number of megabytes, got "lots"$/,
    ],
    [
      'a negative workerResourceLimits value',
      { workerResourceLimits: { maxOldGenerationSizeMb: -5 } },
      /option workerResourceLimits\.maxOldGenerationSizeMb must be a positive number of megabytes, got -5$/,
    ],
    [
      'an infinite workerResourceLimits value',
      { workerResourceLimits: { stackSizeMb: Infinity } },
      /option workerResourceLimits\.stackSizeMb must be a positive number of megabytes, got Infinity$/,
    ],
  ])('%s', async (_what, extra, message) => {
    const attempt = open({ domain: counterDomain, dataDir: tempDir(), ...extra } as never);
    await expect(attempt).rejects.toBeInstanceOf(ConfigError);
    await expect(attempt).rejects.toThrow(message);
  });

  it('a missing domain option, or something that is not a domain', async () => {
    await expect(open({ dataDir: tempDir() } as never)).rejects.toThrow(/option domain is required/);
    await expect(open({ domain: { commands: {} }, dataDir: tempDir() } as never)).rejects.toThrow(/is not a domain created with defineDomain/);
  });

  it('a domain module that workers cannot import', async () => {
    const attempt = open({ domain: missingModuleDomain, dataDir: tempDir(), shards: 2 });
    await expect(attempt).rejects.toBeInstanceOf(ConfigError);
    await expect(attempt).rejects.toThrow(/cannot import domain module file:.*no-such-domain-module\.js/);
  });

  it('a domain whose url names a module that defines another domain of that aggregate', async () => {
    const attempt = open({ domain: misplacedDomain, dataDir: tempDir(), shards: 1 });
    await expect(attempt).rejects.toBeInstanceOf(ConfigError);
    await expect(attempt).rejects.toThrow(
      /domain Counter: the module at its url file:.*counter-domain\.js defines another Counter domain \(Increment emits Incremented instead of Bumped; an extra command Spin; .*\); give defineDomain the module's own import\.meta\.url/,
    );
  });

  it('but not a copy of the domain its url defines (the compiled module of one the main thread runs otherwise)', async () => {
    const copy = defineDomain({ ...counterDomain });
    const engine = await open({ domain: copy, dataDir: tempDir(), shards: 1 });
    try {
      expect((await engine.send('Increment', { id: 'copy', by: 2 })).state).toMatchObject({ count: 2 });
    } finally {
      await engine.close();
    }
  });

  it('a malformed domain, naming every problem', async () => {
    const attempt = open({ domain: malformedDomain, dataDir: tempDir(), shards: 1 });
    await expect(attempt).rejects.toBeInstanceOf(ConfigError);
    await expect(attempt).rejects.toThrow(/commands\.NoEmit\.emit must be a function.*commands\.Reserved\.event: names starting with "asynx\." are reserved/);
  });

  it('a data directory that cannot be created', async () => {
    const file = join(tempDir(), 'a-file');
    writeFileSync(file, 'not a directory');
    const attempt = open({ domain: counterDomain, dataDir: join(file, 'data'), shards: 1 });
    await expect(attempt).rejects.toBeInstanceOf(ConfigError);
    await expect(attempt).rejects.toThrow(/option dataDir: cannot create/);
  });

  it('a data directory where no folder can be made (under /proc, under a dangling link) fails at once instead of spinning', () => {
    const base = tempDir();
    symlinkSync(join(base, 'unmounted'), join(base, 'link'));
    // procfs answers ENOENT for a new folder while its parent exists: Node's recursive mkdir retries that forever.
    const dataDirs = [join(base, 'link', 'data'), ...(existsSync('/proc/self') ? ['/proc/asynx-no-such-dir/data'] : [])];
    // In a child process: a mkdir that spins would block this one for good.
    const script = `
      const { open } = await import(${JSON.stringify(new URL('../dist/src/index.js', import.meta.url).href)});
      const { counterDomain } = await import(${JSON.stringify(new URL('../dist/test/fixtures/counter-domain.js', import.meta.url).href)});
      for (const dataDir of ${JSON.stringify(dataDirs)}) {
        try { await open({ domain: counterDomain, dataDir, shards: 1 }); console.log('opened'); }
        catch (error) { console.log(error.code, error.message); }
      }`;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
    expect(child.error).toBeUndefined();
    for (const dataDir of dataDirs) expect(child.stdout).toContain(`CONFIG_INVALID option dataDir: cannot create ${dataDir}: ENOENT`);
  });

  it('a garbage shard file, naming the file', async () => {
    const dataDir = tempDir();
    const engine = await open({ domain: counterDomain, dataDir, shards: 1 });
    await engine.close();
    writeFileSync(join(dataDir, 'shard-0.db'), Buffer.alloc(8192, 0x5a));
    const attempt = open({ domain: counterDomain, dataDir, shards: 1 });
    await expect(attempt).rejects.toBeInstanceOf(StorageError);
    await expect(attempt).rejects.toThrow(/shard file .*shard-0\.db is not a SQLite database/);
  });

  it('shard files without a manifest', async () => {
    const dataDir = tempDir();
    writeFileSync(join(dataDir, 'shard-0.db'), '');
    await expect(open({ domain: counterDomain, dataDir, shards: 1 })).rejects.toThrow(/holds shard files \(shard-0\.db\) but no asynx\.json/);
  });

  it.each(['null', '[]', '2'])('a manifest that is valid JSON but no object (%s), with ConfigError', async (text) => {
    const dataDir = tempDir();
    writeFileSync(join(dataDir, 'asynx.json'), text);
    const attempt = open({ domain: counterDomain, dataDir, shards: 1 });
    await expect(attempt).rejects.toBeInstanceOf(ConfigError);
    await expect(attempt).rejects.toThrow(`${join(dataDir, 'asynx.json')} is not a JSON object; the data directory's manifest is damaged`);
  });

  it("another aggregate's data directory, saying so instead of blaming routing", async () => {
    const dataDir = tempDir();
    const orders = await open({ domain: orderDomain, dataDir, shards: 2 });
    await orders.close();
    const attempt = open({ domain: counterDomain, dataDir, shards: 2 });
    await expect(attempt).rejects.toBeInstanceOf(ConfigError);
    await expect(attempt).rejects.toThrow(
      `${dataDir} was created with aggregate="Order" but this engine uses aggregate="Counter"; it holds another aggregate's events: give each aggregate its own data directory`,
    );
  });
});

describe('one engine per data directory', () => {
  it('refuses a second engine in this process until the first closes, and a failed open leaves the directory free', async () => {
    const dataDir = tempDir();
    const first = await open({ domain: counterDomain, dataDir, shards: 2 });
    await first.send('Increment', { id: 'c', by: 1 });
    const second = open({ domain: counterDomain, dataDir, shards: 2 });
    await expect(second).rejects.toBeInstanceOf(ConfigError);
    await expect(second).rejects.toThrow(`option dataDir: ${dataDir} is in use by another engine`);
    await first.close();
    // Refused for its shard count after it took the lock: the lock must go with the failure.
    await expect(open({ domain: counterDomain, dataDir, shards: 3 })).rejects.toThrow(/was created with shards=2/);
    const third = await open({ domain: counterDomain, dataDir, shards: 2 });
    await expect(third.get('c')).resolves.toMatchObject({ count: 1 });
    await third.destroy();
    const fourth = await open({ domain: counterDomain, dataDir, shards: 2 });
    await fourth.close();
  });

  it('refuses it while another process has the directory open, and not after that process was killed', async () => {
    const dataDir = tempDir();
    const childScript = fileURLToPath(new URL('../dist/test/harness/kill-child.js', import.meta.url));
    const child = spawn(process.execPath, [childScript, dataDir, join(tempDir(), 'acks.log'), '1'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
        child.once('exit', (code) => reject(new Error(`child exited (${String(code)}) before it was ready`)));
      });
      await expect(open({ domain: orderDomain, dataDir, shards: 3 })).rejects.toThrow(/is in use by another engine/);
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
    const engine = await open({ domain: orderDomain, dataDir, shards: 3 });
    await engine.close();
  }, 30_000);
});

describe('a shard worker that dies', () => {
  it('rejects its in-flight commands with ShardCrashedError, restarts, and loses nothing acknowledged', async () => {
    const engine = await open({ domain: counterDomain, dataDir: tempDir(), shards: 1 });
    try {
      const acknowledged = await Promise.all(Array.from({ length: 20 }, () => engine.send('Increment', { id: 'safe', by: 1 })));
      const crash = engine.send('Misbehave', { id: 'boom', how: 'exit-worker' });
      await expect(crash).rejects.toBeInstanceOf(ShardCrashedError);
      await expect(crash).rejects.toMatchObject({ code: 'SHARD_CRASHED', executed: 'unknown' });
      expect(await engine.get('safe')).toEqual({ id: 'safe', count: 20, log: new Array(20).fill(1) });
      const next = await engine.send('Increment', { id: 'safe', by: 1 });
      expect(next.version).toBe(acknowledged.length + 1);
      expect(engine.stats().shards[0]!.crashes).toBe(1);
    } finally {
      await engine.close();
    }
  });
});

describe('damaged shard files', () => {
  async function writeSome(dataDir: string): Promise<void> {
    const engine = await open({ domain: counterDomain, dataDir, shards: 1 });
    await Promise.all(Array.from({ length: 2000 }, (_, i) => engine.send('Increment', { id: `t${i % 50}`, by: 1 })));
    await engine.close();
  }

  it('a shard file deleted from a directory that had them all gives StorageError at open, naming it', async () => {
    const dataDir = tempDir();
    const engine = await open({ domain: counterDomain, dataDir, shards: 3 });
    await Promise.all(Array.from({ length: 30 }, (_, i) => engine.send('Increment', { id: `d${i}`, by: 1 })));
    await engine.close();
    rmSync(join(dataDir, 'shard-1.db'));
    const attempt = open({ domain: counterDomain, dataDir, shards: 3 });
    await expect(attempt).rejects.toBeInstanceOf(StorageError);
    await expect(attempt).rejects.toThrow(/is missing .*shard-1\.db \(absent or empty\), which asynx\.json records as created/);
    expect(existsSync(join(dataDir, 'shard-1.db'))).toBe(false);
    // Emptied rather than deleted (a failed copy): the same.
    truncateSync(join(dataDir, 'shard-2.db'), 0);
    await expect(open({ domain: counterDomain, dataDir, shards: 3 })).rejects.toThrow(/is missing .*shard-1\.db, .*shard-2\.db \(absent or empty\)/);
  });

  it('a directory whose first start stopped before its shard files existed, or made before the mark, still opens', async () => {
    const dataDir = tempDir();
    // What a start killed right after writing the manifest leaves, and the manifest an older version wrote.
    const manifest = { format: 1, aggregate: 'Counter', shards: 2, hashScheme: HASH_SCHEME, createdAt: new Date().toISOString() };
    writeFileSync(join(dataDir, 'asynx.json'), JSON.stringify(manifest));
    const engine = await open({ domain: counterDomain, dataDir, shards: 2 });
    await engine.send('Increment', { id: 'first', by: 1 });
    await engine.close();
    expect(JSON.parse(readFileSync(join(dataDir, 'asynx.json'), 'utf8'))).toEqual({ ...manifest, shardFilesCreated: true });
  });

  it('a truncated shard file gives StorageError at open, naming the file', async () => {
    const dataDir = tempDir();
    await writeSome(dataDir);
    const file = join(dataDir, 'shard-0.db');
    const { size } = statSync(file);
    truncateSync(file, Math.floor(size / 2));
    const attempt = open({ domain: counterDomain, dataDir, shards: 1 });
    await expect(attempt).rejects.toBeInstanceOf(StorageError);
    await expect(attempt).rejects.toThrow(new RegExp(`shard file .*shard-0\\.db is truncated: ${Math.floor(size / 2)} bytes`));
  });

  it('a file cut inside its header is reported, never opened as an empty store', async () => {
    const dataDir = tempDir();
    await writeSome(dataDir);
    truncateSync(join(dataDir, 'shard-0.db'), 50);
    await expect(open({ domain: counterDomain, dataDir, shards: 1 })).rejects.toThrow(/shard-0\.db is not a SQLite database/);
  });
});

describe('defineDomain refuses a malformed definition at once', () => {
  const command = { event: 'Touched', aggregateId: (p: { id: string }) => p.id, emit: () => ({}) };
  const valid = { url: import.meta.url, aggregate: 'Thing', commands: { Touch: command } };
  const define = (spec: unknown) => () => defineDomain(spec as never);

  it('names every problem in one ConfigError', () => {
    const attempt = define({ ...valid, schemaVersion: 0, commands: { Touch: { ...command, emit: undefined }, Other: { ...command, event: 'asynx.x' } } });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(
      'domain Thing is malformed: schemaVersion must be an integer >= 1, got 0; commands.Touch.emit must be a function (current, payload) => next state; commands.Other.event: names starting with "asynx." are reserved',
    );
    try {
      attempt();
    } catch (error) {
      expect(error).toMatchObject({ code: 'CONFIG_INVALID', details: { problems: expect.arrayContaining([expect.stringMatching(/^schemaVersion/)]) } });
    }
  });

  it.each([
    ['no definition', undefined, /defineDomain\(\) needs the domain's definition, an object, got undefined/],
    ['null', null, /an object, got null/],
    ['a url that is not a file: URL', { ...valid, url: 'https://example.com/domain.js' }, /url must be a file: URL \(pass import\.meta\.url\), got https:/],
    ['an empty aggregate name', { ...valid, aggregate: '' }, /aggregate must be a non-empty string/],
    ['no commands', { ...valid, commands: {} }, /commands must define at least one command/],
    ['upcasters that are not an object', { ...valid, schemaVersion: 2, upcasters: 5 }, /upcasters must be an object of functions/],
    ['an upcaster from a version the domain has not passed', { ...valid, upcasters: { 1: () => [] } }, /upcasters\[1\]: keys are the schema versions upgraded from, 1\.\.0/],
    ['an event name with a lone surrogate', { ...valid, commands: { Touch: { ...command, event: 'Touched\ud800' } } }, /commands\.Touch\.event has a lone UTF-16 surrogate/],
    ['a snapshot flag that is not a boolean', { ...valid, commands: { Touch: { ...command, snapshot: 'yes' } } }, /commands\.Touch\.snapshot must be a boolean/],
    ['an async validate, whose refusals nothing would wait for', { ...valid, commands: { Touch: { ...command, async validate() {} } } }, /commands\.Touch\.validate is an async function; domain logic runs synchronously/],
    ['an async emit', { ...valid, commands: { Touch: { ...command, emit: async () => ({}) } } }, /commands\.Touch\.emit is an async function/],
    ['an async aggregateId', { ...valid, commands: { Touch: { ...command, aggregateId: async () => 'x' } } }, /commands\.Touch\.aggregateId is an async function/],
    ['an async upcaster', { ...valid, schemaVersion: 2, upcasters: { 1: async () => [] } }, /upcasters\[1\] is an async function; it must return the rewritten patch synchronously/],
  ])('%s', (_case, spec, message) => {
    expect(define(spec)).toThrow(ConfigError);
    expect(define(spec)).toThrow(message);
  });

  it('keeps its own copy of the upcasters', () => {
    const upcasters: Record<number, () => []> = { 1: () => [] };
    const domain = defineDomain({ ...valid, schemaVersion: 2, upcasters });
    delete upcasters[1];
    expect(Object.keys(domain.upcasters)).toEqual(['1']);
    expect(Object.isFrozen(domain.upcasters)).toBe(true);
  });
});

describe('the domain given as a module path or URL', () => {
  it('imports the module and uses its domain export', async () => {
    const byPath = await open({ domain: 'dist/examples/order/domain.js', dataDir: tempDir(), shards: 1 });
    try {
      const event = await byPath.send('CreateOrder', { id: 'P-1', total: 3, items: 1, shipTo: 'here' });
      expect(event).toMatchObject({ name: 'OrderCreated', state: { status: 'Pending' } });
    } finally {
      await byPath.close();
    }
    const byUrl = await open({ domain: pathToFileURL(join(process.cwd(), 'dist/test/fixtures/counter-domain.js')), dataDir: tempDir(), shards: 1 });
    try {
      expect((await byUrl.send('Increment', { id: 'u', by: 2 })).state).toMatchObject({ count: 2 });
    } finally {
      await byUrl.close();
    }
  });

  it('rejects a module without a domain, naming what it found', async () => {
    const attempt = open({ domain: 'dist/src/router.js', dataDir: tempDir(), shards: 1 });
    await expect(attempt).rejects.toBeInstanceOf(ConfigError);
    await expect(attempt).rejects.toThrow(/domain module file:.*router\.js exports no domain \(found: none\)/);
  });

  it('rejects a module that defines several aggregates, naming them and saying to pass the domain object instead', async () => {
    const attempt = open({ domain: 'dist/test/fixtures/shop-domains.js', dataDir: tempDir(), shards: 1 });
    await expect(attempt).rejects.toBeInstanceOf(ConfigError);
    await expect(attempt).rejects.toThrow(
      /domain module file:.*shop-domains\.js exports several domains \(Customer, Payment\); pass the one to open as the domain option: the object defineDomain returned$/,
    );
  });

  it('rejects a module that defines the same aggregate twice, whichever of the two is given', async () => {
    const attempt = open({ domain: twinDomain, dataDir: tempDir(), shards: 1 });
    await expect(attempt).rejects.toBeInstanceOf(ConfigError);
    await expect(attempt).rejects.toThrow(/domain module file:.*twin-domains\.js exports several domains for aggregate Twin; define each aggregate once per module$/);
  });
});
