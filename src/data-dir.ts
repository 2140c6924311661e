/**
 * The data directory and its manifest (`asynx.json`), which records how the
 * directory was created. Opening it with another shard count, hash scheme or
 * aggregate would route commands to shards that do not hold their history,
 * so that is refused.
 */
import { accessSync, closeSync, constants, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, statSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ConfigError, StorageError, describeThrown } from './errors.js';
import { hasWalFrames } from './shard/store-schema.js';

export const MANIFEST_FILE = 'asynx.json';
export const MANIFEST_FORMAT = 1;

export interface Manifest {
  readonly format: number;
  readonly aggregate: string;
  readonly shards: number;
  readonly hashScheme: string;
  readonly createdAt: string;
  /**
   * Set once every shard file has been created (after the first start that
   * got that far): from then on a missing shard file is a loss, not a
   * start that was cut off. Absent in directories made before it existed.
   */
  readonly shardFilesCreated?: true;
}

export function shardFilePath(dataDir: string, shard: number): string {
  return dataDir === ':memory:' ? ':memory:' : join(dataDir, `shard-${shard}.db`);
}

function writeDurably(path: string, text: string): void {
  const temporary = `${path}.tmp`;
  const fd = openSync(temporary, 'w');
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, path);
}

function fsyncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export function readManifest(dataDir: string): Manifest | undefined {
  let text: string;
  try {
    text = readFileSync(join(dataDir, MANIFEST_FILE), 'utf8');
  } catch (thrown) {
    if ((thrown as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConfigError(`cannot read ${join(dataDir, MANIFEST_FILE)}: ${describeThrown(thrown).message}`, { option: 'dataDir' });
  }
  try {
    return JSON.parse(text) as Manifest;
  } catch {
    throw new ConfigError(`${join(dataDir, MANIFEST_FILE)} is not valid JSON; the data directory's manifest is damaged`, {
      option: 'dataDir',
    });
  }
}

/**
 * `mkdir -p`, one level at a time. Node's `recursive` option spins forever,
 * holding the thread, where a parent exists but cannot hold children (a
 * path under /proc): mkdir of the child fails with ENOENT, of the parent
 * with EEXIST, and it retries.
 */
function makeDirectories(dir: string): void {
  const missing: string[] = [];
  for (let current = resolve(dir); !existsSync(current); current = dirname(current)) {
    missing.push(current);
    if (dirname(current) === current) break;
  }
  for (const path of missing.reverse()) {
    try {
      mkdirSync(path);
    } catch (thrown) {
      // Created meanwhile by someone else, or a dangling link, which the next level reports.
      if ((thrown as NodeJS.ErrnoException).code !== 'EEXIST') throw thrown;
    }
  }
}

/** Creates the directory if it does not exist, and checks that this process may write in it. */
export function ensureDataDir(dataDir: string): void {
  if (dataDir === ':memory:') return;
  try {
    makeDirectories(dataDir);
    if (!statSync(dataDir).isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
  } catch (thrown) {
    const code = (thrown as NodeJS.ErrnoException).code;
    const problem = code === 'ENOTDIR' ? 'it, or a folder above it, is a file' : describeThrown(thrown).message;
    throw new ConfigError(`option dataDir: cannot create ${dataDir}: ${problem}`, { option: 'dataDir' });
  }
  try {
    accessSync(dataDir, constants.R_OK | constants.W_OK);
  } catch (thrown) {
    throw new ConfigError(`option dataDir: ${dataDir} is not writable: ${describeThrown(thrown).message}`, { option: 'dataDir' });
  }
}

/**
 * Writes the manifest of a new directory, or checks an existing one against
 * this engine; returns it (`undefined` in memory). Call after {@link ensureDataDir}.
 */
export function checkManifest(dataDir: string, expected: Omit<Manifest, 'format' | 'createdAt' | 'shardFilesCreated'>): Manifest | undefined {
  if (dataDir === ':memory:') return undefined;
  const existing = readManifest(dataDir);
  if (existing === undefined) {
    const strays = readdirSync(dataDir).filter((name) => /^shard-\d+\.db$/.test(name));
    if (strays.length > 0) {
      throw new ConfigError(`${dataDir} holds shard files (${strays.join(', ')}) but no ${MANIFEST_FILE}; refusing to guess how they were routed`, {
        option: 'dataDir',
      });
    }
    const manifest: Manifest = { format: MANIFEST_FORMAT, ...expected, createdAt: new Date().toISOString() };
    try {
      writeDurably(join(dataDir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
      fsyncDirectory(dataDir);
    } catch (thrown) {
      throw new ConfigError(`option dataDir: ${dataDir} is not writable: ${describeThrown(thrown).message}`, { option: 'dataDir' });
    }
    return manifest;
  }
  // `null` would fail the checks below with a TypeError instead.
  if (typeof existing !== 'object' || existing === null || Array.isArray(existing)) {
    throw new ConfigError(`${join(dataDir, MANIFEST_FILE)} is not a JSON object; the data directory's manifest is damaged`, { option: 'dataDir' });
  }
  const checks: Array<[keyof Manifest, unknown]> = [
    ['format', MANIFEST_FORMAT],
    ['aggregate', expected.aggregate],
    ['shards', expected.shards],
    ['hashScheme', expected.hashScheme],
  ];
  for (const [key, value] of checks) {
    if (existing[key] !== value) {
      throw new ConfigError(
        `${dataDir} was created with ${key}=${JSON.stringify(existing[key])} but this engine uses ${key}=${JSON.stringify(value)}; ` +
          // Several aggregates in one application means several directories: a swapped one is the likely mistake.
          (key === 'aggregate'
            ? "it holds another aggregate's events: give each aggregate its own data directory"
            : 'commands would be routed to shards that do not hold their history'),
        { option: key === 'shards' ? 'shards' : 'dataDir', stored: existing[key] as string | number, expected: value as string | number },
      );
    }
  }
  checkShardFiles(dataDir, existing);
  return existing;
}

/**
 * A shard file deleted from a directory that had them all, or emptied (a
 * failed copy or restore), would open as an empty shard: its aggregates'
 * history gone unnoticed. A shard file that was ever opened holds at least
 * its header page, or frames in its WAL.
 */
function checkShardFiles(dataDir: string, manifest: Manifest): void {
  if (manifest.shardFilesCreated !== true) return;
  const lost = (path: string): boolean => !existsSync(path) || (statSync(path).size === 0 && !hasWalFrames(path));
  const missing = Array.from({ length: manifest.shards }, (_, shard) => shardFilePath(dataDir, shard)).filter(lost);
  if (missing.length === 0) return;
  throw new StorageError(
    `${dataDir} is missing ${missing.join(', ')} (absent or empty), which ${MANIFEST_FILE} records as created: the history of its aggregates would be gone. Restore the file (with its -wal file, if it had one), or open an empty directory`,
    { file: missing[0]!, missing },
  );
}

/**
 * Records in the manifest that every shard file exists, once the first start
 * has made them. Best effort: the shards are running by then, and a manifest
 * left without the mark only forgoes the missing-file check.
 */
export function recordShardFilesCreated(dataDir: string, manifest: Manifest | undefined): void {
  if (manifest === undefined || manifest.shardFilesCreated === true) return;
  try {
    writeDurably(join(dataDir, MANIFEST_FILE), `${JSON.stringify({ ...manifest, shardFilesCreated: true }, null, 2)}\n`);
  } catch {
    // See above: the directory stays usable, with the check off.
  }
}
