/**
 * The process-kill torture: runs kill-child.js, SIGKILLs it at a random
 * moment under load, and checks the data directory against the
 * acknowledgement log: every acknowledged event is stored with the same
 * content, every stream is 1..n without gaps, and every shard file passes
 * SQLite's integrity check. Used by the CI test (a few kills) and by
 * `npm run test:torture` (50 kills by default).
 */
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PatchOperation } from '../../src/index.js';
import type { JsonObject } from '../../src/json.js';
import { applyInPlace } from '../../src/shard/patching.js';

const CHILD = fileURLToPath(new URL('./kill-child.js', import.meta.url));
const SHARDS = 3;

export interface TortureSummary {
  kills: number;
  acknowledged: number;
  found: number;
  lost: number;
  gaps: number;
  /** Shard files whose integrity check did not answer "ok", or with an event outside its aggregate's stream or a stream without events. */
  corrupt: number;
}

/** Starts a child and kills it with SIGKILL once it has acknowledged `killAfter` events. */
function runAndKill(dataDir: string, ackLog: string, run: number, killAfter: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, dataDir, ackLog, String(run)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let errors = '';
    let acks = 0;
    child.stdout.on('data', (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-200);
      const counts = [...output.matchAll(/acks (\d+)/g)];
      acks = counts.length > 0 ? Number(counts[counts.length - 1]![1]) : acks;
      if (acks >= killAfter) child.kill('SIGKILL');
    });
    child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(acks);
      else reject(new Error(`run ${run} ended by itself (code ${code}): ${errors}`));
    });
  });
}

interface StoredRow {
  aggregate_id: string;
  version: number;
  position: number;
  event_id: string;
  patch: string;
}

/** Checks the directory against the acknowledgement log. */
export function verify(dataDir: string, ackLog: string): Omit<TortureSummary, 'kills'> {
  const streams = new Map<string, Array<StoredRow & { shard: number }>>();
  let corrupt = 0;
  for (let shard = 0; shard < SHARDS; shard++) {
    const file = join(dataDir, `shard-${shard}.db`);
    if (!existsSync(file)) continue;
    const db = new Database(file);
    try {
      if (db.pragma('integrity_check', { simple: true }) !== 'ok') corrupt++;
      // Every event sits in the stream its aggregate is numbered with, and every stream has events.
      const misfiled = db
        .prepare<[], number>(
          `SELECT (SELECT count(*) FROM events e LEFT JOIN streams s ON s.aggregate_id = e.aggregate_id WHERE s.stream IS NOT e.stream)
                + (SELECT count(*) FROM streams s WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.stream = s.stream))`,
        )
        .pluck()
        .get();
      if (misfiled !== 0) corrupt++;
      const rows = db.prepare('SELECT aggregate_id, version, position, event_id, patch FROM events ORDER BY aggregate_id, version').all() as StoredRow[];
      for (const row of rows) {
        const stream = streams.get(row.aggregate_id) ?? [];
        stream.push({ ...row, shard });
        streams.set(row.aggregate_id, stream);
      }
    } finally {
      db.close();
    }
  }
  let gaps = 0;
  const states = new Map<string, string>();
  for (const [id, stream] of streams) {
    let state: JsonObject = {};
    stream.forEach((row, i) => {
      if (row.version !== i + 1) gaps++;
      state = applyInPlace(state, JSON.parse(row.patch) as PatchOperation[]);
      states.set(`${id} ${row.version}`, `${row.shard} ${row.position} ${row.event_id} ${JSON.stringify(state)}`);
    });
  }
  let acknowledged = 0;
  let found = 0;
  for (const line of readFileSync(ackLog, 'utf8').split('\n')) {
    const match = /^(\S+) (\d+) (.+)$/.exec(line);
    if (match === null) continue; // a line cut short by the kill was never acknowledged
    acknowledged++;
    if (states.get(`${match[1]} ${match[2]}`) === match[3]) found++;
  }
  return { acknowledged, found, lost: acknowledged - found, gaps, corrupt };
}

/** Runs `kills` load runs on one data directory, killing each, and verifies after every kill. */
export async function torture(
  dataDir: string,
  kills: number,
  onKill: (kill: number, summary: Omit<TortureSummary, 'kills'>) => void = () => undefined,
): Promise<TortureSummary> {
  const ackLog = join(dataDir, 'acknowledged.log');
  let summary: Omit<TortureSummary, 'kills'> = { acknowledged: 0, found: 0, lost: 0, gaps: 0, corrupt: 0 };
  for (let kill = 1; kill <= kills; kill++) {
    // Kill at a random point: sometimes during start-up traffic, sometimes well into the run.
    await runAndKill(dataDir, ackLog, kill, Math.floor(Math.random() * 3000));
    summary = verify(dataDir, ackLog);
    onKill(kill, summary);
  }
  return { kills, ...summary };
}

export function summaryLine(summary: TortureSummary): string {
  return `kills=${summary.kills} acknowledged=${summary.acknowledged} found=${summary.found} lost=${summary.lost} gaps=${summary.gaps}`;
}
