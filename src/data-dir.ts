/**
 * The data directory and its manifest (`asynx.json`), which records how the
 * directory was created. Opening it with another shard count, hash scheme or
 * aggregate would route commands to shards that do not hold their history,
 * so that is refused.
 */
import { accessSync, closeSync, constants, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, statSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ConfigError, describeThrown } from './errors.js';

export const MANIFEST_FILE = 'asynx.json';
export const MANIFEST_FORMAT = 1;

export interface Manifest {
  readonly format: number;
  readonly aggregate: string;
  readonly shards: number;
  readonly hashScheme: string;
  readonly createdAt: string;
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

/** Writes the manifest of a new directory, or checks an existing one against this engine. Call after {@link ensureDataDir}. */
export function checkManifest(dataDir: string, expected: Omit<Manifest, 'format' | 'createdAt'>): void {
  if (dataDir === ':memory:') return;
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
    return;
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
          'commands would be routed to shards that do not hold their history',
        { option: key === 'shards' ? 'shards' : 'dataDir', stored: existing[key] as string | number, expected: value as string | number },
      );
    }
  }
}
