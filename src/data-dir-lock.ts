/**
 * One engine per data directory. Two engines on the same directory would
 * each cache states and number new aggregates on their own, and their
 * commits would collide. The lock is an exclusive transaction held open on
 * a small SQLite file (`asynx.lock`) for the engine's lifetime: SQLite's
 * file locks exclude other connections in this process and in others, and
 * the operating system drops them when a process dies, so a crash never
 * leaves a stale lock behind. `asynx inspect` does not take it: it reads
 * the shard files, which WAL lets it do beside a running engine.
 */
import Database from 'better-sqlite3';
import type { Database as Db } from 'better-sqlite3';
import { join } from 'node:path';
import { ConfigError, describeThrown } from './errors.js';

export const LOCK_FILE = 'asynx.lock';

export class DataDirLock {
  readonly #db: Db | undefined;

  private constructor(db: Db | undefined) {
    this.#db = db;
  }

  /** Takes the directory's lock, or throws `ConfigError` when another engine holds it. `:memory:` needs none. */
  static take(dataDir: string): DataDirLock {
    if (dataDir === ':memory:') return new DataDirLock(undefined);
    const path = join(dataDir, LOCK_FILE);
    let db: Db | undefined;
    try {
      db = new Database(path, { timeout: 0 });
      db.exec('BEGIN EXCLUSIVE');
      return new DataDirLock(db);
    } catch (thrown) {
      db?.close();
      const { message } = describeThrown(thrown);
      if ((thrown as { code?: unknown }).code === 'SQLITE_BUSY') {
        throw new ConfigError(`option dataDir: ${dataDir} is in use by another engine (in this process or another); one engine per data directory`, {
          option: 'dataDir',
          lockFile: path,
        });
      }
      throw new ConfigError(`option dataDir: cannot lock ${path}: ${message}`, { option: 'dataDir', lockFile: path });
    }
  }

  /** Lets the next engine open the directory. Idempotent. */
  release(): void {
    if (this.#db?.open === true) this.#db.close();
  }
}
