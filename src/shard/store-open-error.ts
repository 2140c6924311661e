/**
 * The `StorageError` for a shard file SQLite could not prepare at open.
 * Most failures there mean the file is not an asynx store (garbage, another
 * kind of database). A full disk does not: opening writes to the file (the
 * recovery of a killed engine's WAL, the tables of a new file), which fails
 * for want of space on a file that is intact; nor do an I/O error, a
 * read-only file or a lock held by another program.
 */
import { StorageError, describeThrown } from '../errors.js';

export function storeOpenError(path: string, thrown: unknown): StorageError {
  const sqliteCode = typeof thrown === 'object' && thrown !== null ? (thrown as { code?: unknown }).code : undefined;
  const details = { file: path, ...(typeof sqliteCode === 'string' ? { sqliteCode } : {}) };
  if (sqliteCode === 'SQLITE_FULL') {
    return new StorageError(
      `cannot open shard file ${path}: the disk is full (SQLITE_FULL), and opening it needs to write to it; free some space and open again`,
      details,
    );
  }
  const { message } = describeThrown(thrown);
  // Only these say the file itself is wrong; without a code, it failed the store's own checks.
  if (typeof sqliteCode === 'string' && !/^SQLITE_(NOTADB|CORRUPT|FORMAT|SCHEMA|MISMATCH|CONSTRAINT|ERROR)/.test(sqliteCode)) {
    return new StorageError(`cannot open shard file ${path}: ${message} (${sqliteCode}); the file itself is not known to be damaged`, details);
  }
  return new StorageError(`shard file ${path} is not a usable asynx store: ${message}`, details);
}
