/**
 * A process running a durable subscription is killed with SIGKILL at random
 * moments under load; after each restart the subscription must have
 * delivered every stored event at least once, per aggregate in order, with
 * no gap across the restarts.
 */
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { useTempDirs } from './support/temp-dir.js';

const tempDir = useTempDirs();
const child = join(process.cwd(), 'dist/test/fixtures/durable-child.js');

/** Starts a load run and SIGKILLs it once it has handled at least `killAfter` events. */
function runUntilKilled(dataDir: string, logFile: string, run: number, killAfter: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [child, dataDir, logFile, 'load', String(run)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    proc.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const counts = [...output.matchAll(/handled (\d+)/g)].map((m) => Number(m[1]));
      if (counts.length > 0 && counts[counts.length - 1]! >= killAfter) proc.kill('SIGKILL');
    });
    proc.on('exit', (code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`load run ended by itself: ${code} ${signal}`))));
  });
}

function runVerify(dataDir: string, logFile: string, run: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [child, dataDir, logFile, 'verify', String(run)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    proc.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    proc.on('exit', (code) => (code === 0 ? resolve(output) : reject(new Error(`verify run exited ${code}`))));
  });
}

function storedEvents(dataDir: string): Map<string, string> {
  const stored = new Map<string, string>();
  for (let shard = 0; shard < 3; shard++) {
    const db = new Database(join(dataDir, `shard-${shard}.db`), { readonly: true });
    for (const row of db.prepare('SELECT position, aggregate_id, version FROM events').all() as Array<{ position: number; aggregate_id: string; version: number }>) {
      stored.set(`${shard} ${row.position}`, `${row.aggregate_id} ${row.version}`);
    }
    db.close();
  }
  return stored;
}

describe('durable subscription across SIGKILL', () => {
  it('delivers every stored event at least once, in per-aggregate order, with no gap', async () => {
    const dataDir = tempDir();
    const logFile = join(tempDir(), 'deliveries.log');
    writeFileSync(logFile, '');
    const killPoints = [20 + Math.floor(Math.random() * 200), 1 + Math.floor(Math.random() * 50), 200 + Math.floor(Math.random() * 600)];
    for (const [run, killAfter] of killPoints.entries()) await runUntilKilled(dataDir, logFile, run, killAfter);
    await runVerify(dataDir, logFile, killPoints.length);

    const lines = readFileSync(logFile, 'utf8').split('\n');
    const delivered = new Map<string, string>();
    /** Highest version delivered per aggregate in earlier runs, and in the current one. */
    const highest = new Map<string, number>();
    let current = new Map<string, number>();
    let gaps = 0;
    let reorders = 0;
    let deliveries = 0;
    for (const line of lines) {
      if (line.startsWith('RUN ')) {
        for (const [id, version] of current) highest.set(id, Math.max(highest.get(id) ?? 0, version));
        current = new Map();
        continue;
      }
      const parts = line.split(' ');
      if (parts.length !== 4) continue; // the empty last line
      const [shard, position, id, versionText] = parts as [string, string, string, string];
      const version = Number(versionText);
      deliveries++;
      delivered.set(`${shard} ${position}`, `${id} ${version}`);
      const previous = current.get(id);
      if (previous === undefined) {
        // First delivery of this aggregate in this run: may repeat, must not skip.
        if (version > (highest.get(id) ?? 0) + 1) gaps++;
      } else if (version !== previous + 1) {
        if (version <= previous) reorders++;
        else gaps++;
      }
      current.set(id, version);
    }
    const stored = storedEvents(dataDir);
    const missing = [...stored].filter(([key, value]) => delivered.get(key) !== value);
    expect(stored.size).toBeGreaterThan(killPoints[0]!);
    expect({ missing: missing.length, gaps, reorders }).toEqual({ missing: 0, gaps: 0, reorders: 0 });
    expect(deliveries).toBeGreaterThanOrEqual(stored.size);
  }, 120_000);
});
