/**
 * The `asynx` command-line tool, run as a child process (the built
 * dist/src/cli/main.js, the package's `bin`) against data directories the
 * engine wrote in the test, including one an engine is writing to while it
 * is inspected.
 */
import { execFile, spawn } from 'node:child_process';
import { cpSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { open } from '../dist/src/index.js';
import { orderDomain } from '../dist/examples/order/domain.js';
import { profileV1 } from '../dist/test/fixtures/profile-v1-domain.js';
import { profileV2 } from '../dist/test/fixtures/profile-v2-domain.js';
import { profileV2Contact } from '../dist/test/fixtures/profile-v2-contact-domain.js';
import { CONTROL_TEXT, controlTextDomain } from '../dist/test/fixtures/control-text-domain.js';
import { largeValuesDomain } from '../dist/test/fixtures/large-values-domain.js';
import { writeV1Profiles } from './support/profile-history.js';
import { formatHistory, historyJson } from '../dist/src/cli/format.js';
import { aggregateHistory } from '../dist/src/cli/inspect.js';
import { safeJson } from '../dist/src/cli/terminal-text.js';
import { downgradeToFormat1 } from '../dist/bench/format-1-file.js';
import { useTempDirs } from './support/temp-dir.js';

const execFileAsync = promisify(execFile);
const tempDir = useTempDirs();
const cli = join(process.cwd(), 'dist/src/cli/main.js');

interface Result {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function asynx(...args: string[]): Promise<Result> {
  try {
    // A command that hangs is killed, so it fails its test instead of outliving the run.
    const { stdout, stderr } = await execFileAsync(process.execPath, [cli, ...args], { timeout: 20_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

interface SummaryJson {
  dataDir: string;
  manifest: { aggregate: string; shards: number; hashScheme: string; format: number; createdAt: string };
  shards: Array<{
    shard: number;
    file: string;
    exists: boolean;
    bytes: { db: number; wal: number; total: number };
    aggregates: number;
    events: number;
    snapshots: number;
    headPosition: number;
    checkpoints: Array<{ name: string; position: number; lag: number }>;
  }>;
  totals: { bytes: number; aggregates: number; events: number; snapshots: number };
}

interface HistoryJson {
  aggregate: string;
  aggregateId: string;
  shard: number;
  shards: number;
  schemaVersions: number[];
  upcastersApplied: boolean;
  note?: string;
  snapshot?: { version: number; schemaVersion: number };
  events: Array<{
    version: number;
    name: string;
    occurredAt: string;
    position: number;
    schemaVersion: number;
    commandId?: string;
    metadata?: Record<string, unknown>;
    patch: Array<{ op: string; path: string; value?: unknown }>;
    state: Record<string, unknown>;
  }>;
}

const orders = ['ORD-1', 'ORD-2', 'ORD-3', 'ORD-4', 'ORD-5'];
let dataDir: string;
let shardOf: (id: string) => number;

beforeAll(async () => {
  dataDir = join(tempDir(), 'orders');
  // First session: a durable subscription follows everything, checkpointed at close.
  const first = await open({ domain: orderDomain, dataDir, shards: 2 });
  shardOf = (id) => first.shardOf(id);
  first.subscribe('Order*', () => undefined, { durable: 'audit' });
  for (const id of orders) await first.send('CreateOrder', { id, total: 10, items: 1, shipTo: `${id} street` });
  await first.send('ConfirmOrder', { id: 'ORD-1' }, { commandId: 'confirm-1', metadata: { user: 'ana' } });
  await first.close();
  // Second session without it: the audit checkpoint falls behind.
  const second = await open({ domain: orderDomain, dataDir, shards: 2 });
  await second.send('ShipOrder', { id: 'ORD-1' });
  await second.send('ConfirmOrder', { id: 'ORD-2' });
  await second.close();
});

describe('asynx inspect <dataDir>', () => {
  it('prints the manifest, a row per shard and the durable subscriptions with their lag', async () => {
    const { code, stdout, stderr } = await asynx('inspect', dataDir);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain(`asynx data directory ${dataDir}\n  aggregate    Order\n  shards       2\n  hash scheme  fnv1a32-utf16+fmix32\n`);
    const lines = stdout.split('\n');
    expect(lines).toContainEqual(expect.stringMatching(/^shard +file +size +wal +aggregates +events +snapshots +head$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ +0 +shard-0\.db +[\d.]+ KiB +[\d.]+ (B|KiB) +\d+ +\d+ +\d+ +\d+$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ +all +[\d.]+ KiB +5 +8 +1$/));
    expect(stdout).toContain('durable subscriptions (lag = head - checkpoint, in positions)');
    expect(lines).toContainEqual(expect.stringMatching(/^ +audit +0 +\d+ +\d+ +\d+$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ +audit +1 +\d+ +\d+ +\d+$/));
  });

  it('--json gives the same figures as data', async () => {
    const { code, stdout } = await asynx('inspect', dataDir, '--json');
    expect(code).toBe(0);
    const summary = JSON.parse(stdout) as SummaryJson;
    expect(summary.manifest).toMatchObject({ aggregate: 'Order', shards: 2, hashScheme: 'fnv1a32-utf16+fmix32', format: 1 });
    expect(summary.totals).toMatchObject({ aggregates: 5, events: 8, snapshots: 1 });
    const expectedAggregates = [0, 1].map((shard) => orders.filter((id) => shardOf(id) === shard).length);
    expect(summary.shards.map((s) => s.aggregates)).toEqual(expectedAggregates);
    for (const shard of summary.shards) {
      expect(shard).toMatchObject({ file: `shard-${shard.shard}.db`, exists: true });
      expect(shard.bytes.total).toBe(shard.bytes.db + shard.bytes.wal);
      expect(shard.bytes.db).toBeGreaterThan(0);
      // Nothing was erased: the head position is the event count.
      expect(shard.headPosition).toBe(shard.events);
      const [audit] = shard.checkpoints;
      expect(audit!.name).toBe('audit');
      expect(audit!.lag).toBe(shard.headPosition - audit!.position);
    }
    // The two commands of the second session are the audit subscription's lag.
    expect(summary.shards.reduce((sum, s) => sum + s.checkpoints[0]!.lag, 0)).toBe(2);
    expect(summary.totals.bytes).toBe(summary.shards.reduce((sum, s) => sum + s.bytes.total, 0));
  });
});

describe('asynx inspect <dataDir> <aggregateId>', () => {
  it('prints each event with its patch and the state it leads to', async () => {
    const { code, stdout } = await asynx('inspect', dataDir, 'ORD-1');
    expect(code).toBe(0);
    const shard = shardOf('ORD-1');
    expect(stdout.split('\n')[0]).toBe(`Order ORD-1: shard ${shard} of 2 (shard-${shard}.db), 3 events, version 3`);
    expect(stdout).toContain('snapshot at version 3 (schema 1)');
    expect(stdout).not.toContain('note:');
    expect(stdout).toMatch(/\nv1 {2}OrderCreated {2}\d{4}-\d\d-\d\dT[\d:.]+Z {2}position \d+ {2}schema 1\n {2}patch {7}add \/id "ORD-1"\n {14}add \/status "Pending"\n/);
    expect(stdout).toContain('  state       {"id":"ORD-1","status":"Pending","total":10,"items":1,"ship_to":"ORD-1 street"}');
    expect(stdout).toMatch(/\nv2 {2}OrderConfirmed .*\n {2}command id {2}confirm-1\n {2}metadata {4}\{"user":"ana"\}\n {2}patch {7}replace \/status "Confirmed"\n/);
    expect(stdout).toContain('  state       {"id":"ORD-1","status":"Shipped","total":10,"items":1,"ship_to":"ORD-1 street"}');
  });

  it('--json gives the patches as stored and the replayed states', async () => {
    const { code, stdout } = await asynx('inspect', dataDir, 'ORD-1', '--json');
    expect(code).toBe(0);
    const history = JSON.parse(stdout) as HistoryJson;
    expect(history).toMatchObject({ aggregate: 'Order', aggregateId: 'ORD-1', shard: shardOf('ORD-1'), shards: 2, schemaVersions: [1], upcastersApplied: false });
    expect(history.note).toBeUndefined();
    expect(history.events.map((e) => [e.version, e.name])).toEqual([
      [1, 'OrderCreated'],
      [2, 'OrderConfirmed'],
      [3, 'OrderShipped'],
    ]);
    expect(history.events[0]!.patch).toHaveLength(5);
    expect(history.events[1]).toMatchObject({
      commandId: 'confirm-1',
      metadata: { user: 'ana' },
      patch: [{ op: 'replace', path: '/status', value: 'Confirmed' }],
    });
    expect(history.events.map((e) => e.state.status)).toEqual(['Pending', 'Confirmed', 'Shipped']);
    expect(history.events[2]!.position).toBeGreaterThan(history.events[1]!.position);
  });

  it('says that upcasters are not applied when the aggregate spans schema versions', async () => {
    const profiles = join(tempDir(), 'profiles');
    const v1 = await open({ domain: profileV1, dataDir: profiles, shards: 1 });
    await v1.send('SetProfile', { id: 'bob', name: 'Bob', mail: 'bob@example.org' });
    await v1.close();
    const v2 = await open({ domain: profileV2, dataDir: profiles, shards: 1 });
    await v2.send('Rename', { id: 'bob', name: 'Robert' });
    await v2.close();

    const text = await asynx('inspect', profiles, 'bob');
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^note: this aggregate was written with schema versions 1, 2; .*without the domain’s upcasters \(the domain module is not loaded\)/m);
    const history = JSON.parse((await asynx('inspect', profiles, 'bob', '--json')).stdout) as HistoryJson;
    expect(history.schemaVersions).toEqual([1, 2]);
    expect(history.events.map((e) => e.schemaVersion)).toEqual([1, 2]);
    // The v1 patch replays as written: the old field name stays.
    expect(history.events[1]!.state).toEqual({ name: 'Robert', mail: 'bob@example.org' });
  });

  it('shows the whole history when a newer patch does not apply to the older shape, with no state from there on', async () => {
    const profiles = await writeV1Profiles(join(tempDir(), 'contacts'), ['ann']);
    const v2 = await open({ domain: profileV2Contact, dataDir: profiles, shards: 1 });
    await v2.send('ChangeEmail', { id: 'ann', email: 'ann@example.com' });
    await v2.close();

    const text = await asynx('inspect', profiles, 'ann');
    expect(text).toMatchObject({ code: 0, stderr: '' });
    expect(text.stdout).toMatch(/^note: .*; from v2 on, a stored patch does not apply to the older shape without them \(\/contact\/email: contact is not an object or array\), so no state is shown$/m);
    expect(text.stdout).toMatch(/^ {2}patch {7}replace \/contact\/email "ann@example\.com"\n {2}state {7}\(not shown: see the note above\)$/m);
    const history = JSON.parse((await asynx('inspect', profiles, 'ann', '--json')).stdout) as HistoryJson;
    expect(history.events.map((e) => [e.version, e.schemaVersion, e.state])).toEqual([
      [1, 1, { name: 'ANN', mail: 'ann@example.org' }],
      [2, 2, null],
    ]);
  });
});

/** A data directory holding document 'doc': a text of `chars` characters, then `notes` notes beside it (each with metadata). */
async function documentOf(chars: number, notes: number): Promise<string> {
  const documents = join(tempDir(), 'documents');
  const engine = await open({ domain: largeValuesDomain, dataDir: documents, shards: 1 });
  try {
    await engine.send('Fill', { id: 'doc', char: 'x', times: chars });
    for (let i = 1; i <= notes; i++) await engine.send('Note', { id: 'doc', note: `n${i}\n"${i}"` }, { metadata: { step: i, text: 'a\u2028b' } });
  } finally {
    await engine.close();
  }
  return documents;
}

describe('a history longer than one string can hold', () => {
  // Past V8's longest string (~512 Mi characters: 65 states of 9 MB), a history printed as one text failed with
  // 'Invalid string length'. Printed a piece per event, no piece is longer than its event; shown here at a size
  // a test can afford.
  it('is printed a piece per event, pieces that make exactly the text and the JSON of the whole', async () => {
    const documents = await documentOf(50_000, 4);
    const history = aggregateHistory(documents, 'doc');

    const text = [...formatHistory(history)];
    expect(text).toHaveLength(1 + 5);
    expect(text.slice(1).every((piece, i) => piece.startsWith(`\nv${i + 1}  `) && piece.length < 2 * 50_000 + 1_000)).toBe(true);
    expect(text.join('')).toBe((await asynx('inspect', documents, 'doc')).stdout);

    const json = [...historyJson(history)];
    expect(json).toHaveLength(1 + 5 + 1);
    expect(json.join('')).toBe(`${safeJson(history, 2)}\n`);
    expect(JSON.parse(json.join(''))).toEqual(JSON.parse((await asynx('inspect', documents, 'doc', '--json')).stdout));
  });
});

describe('a reader that stops early', () => {
  it('ends the command quietly: no error about the closed pipe, exit code 0', async () => {
    // Far more text than a pipe holds, so the command is still writing when the reader goes.
    const documents = await documentOf(2_000_000, 0);
    for (const json of [[], ['--json']]) {
      const child = spawn(process.execPath, [cli, 'inspect', documents, 'doc', ...json], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
      const first = await new Promise<string>((resolve) =>
        child.stdout.once('data', (chunk: Buffer) => {
          child.stdout.destroy();
          resolve(chunk.toString());
        }),
      );
      expect(first).toMatch(json.length === 0 ? /^Document doc: / : /^\{/);
      expect({ code: await closed, stderr }).toEqual({ code: 0, stderr: '' });
    }
  });
});

describe('stored text holding characters a terminal acts on', () => {
  /** CONTROL_TEXT as the output must show it: each such character as its JSON escape. */
  const ESCAPED = '\\u001b[2J\\u001b]0;owned\\u0007\\r\\nforged line\\t\\u007f\\u009b31m\\u0085\\u2028\\u2029\\u202eevil\\u2066x\\u2069';
  /** What must not reach the terminal raw: C0 (a line break only between lines), DEL, C1, U+2028/2029, bidi controls. */
  const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
  const id = `ORD${CONTROL_TEXT}`;
  const commandId = `cmd${CONTROL_TEXT}`;
  const durable = `audit${CONTROL_TEXT}`;
  const metadata = { [`user${CONTROL_TEXT}`]: `ana${CONTROL_TEXT}`, nul: 'a\u0000b' };
  const state = { [`key${CONTROL_TEXT}`]: `value${CONTROL_TEXT}`, nested: { list: [CONTROL_TEXT] } };
  let controlDir: string;
  let shard: number;

  beforeAll(async () => {
    controlDir = join(tempDir(), 'control-text');
    const engine = await open({ domain: controlTextDomain, dataDir: controlDir, shards: 2 });
    shard = engine.shardOf(id);
    engine.subscribe(/^Put/, () => undefined, { durable });
    await engine.send('Put', { id, state }, { commandId, metadata });
    await engine.close();
  });

  it('the summary shows the aggregate type and the durable subscription name escaped, and --json gives them exactly', async () => {
    const text = await asynx('inspect', controlDir);
    expect(text).toMatchObject({ code: 0, stderr: '' });
    expect(text.stdout).not.toMatch(RAW_CONTROL);
    expect(text.stdout).toContain(`\n  aggregate    "Note${ESCAPED}"\n`);
    expect(text.stdout.split('\n')).toContainEqual(expect.stringMatching(new RegExp(`^ {2}"audit\\\\u001b\\[2J.*\\\\u2069" +${shard} +1 +1 +0$`)));

    const json = await asynx('inspect', controlDir, '--json');
    expect(json).toMatchObject({ code: 0, stderr: '' });
    expect(json.stdout).not.toMatch(RAW_CONTROL);
    const summary = JSON.parse(json.stdout) as SummaryJson;
    expect(summary.manifest.aggregate).toBe(`Note${CONTROL_TEXT}`);
    expect(summary.shards.flatMap((s) => s.checkpoints.map((c) => c.name))).toEqual([durable, durable]);
  });

  it('the history shows the aggregate ID, event name, command ID, metadata, patch and state escaped, each event on its own lines', async () => {
    const { code, stdout, stderr } = await asynx('inspect', controlDir, id);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).not.toMatch(RAW_CONTROL);
    expect(stdout.split('\n')).toEqual([
      `"Note${ESCAPED}" "ORD${ESCAPED}": shard ${shard} of 2 (shard-${shard}.db), 1 event, version 1`,
      '',
      expect.stringMatching(new RegExp(`^v1 {2}"Put\\\\u001b\\[2J.*\\\\u2069" {2}\\d{4}-[\\d-]+T[\\d:.]+Z {2}position 1 {2}schema 1$`)),
      `  command id  "cmd${ESCAPED}"`,
      `  metadata    {"user${ESCAPED}":"ana${ESCAPED}","nul":"a\\u0000b"}`,
      expect.stringMatching(/^ {2}patch {7}add /),
      expect.stringMatching(/^ {14}add /),
      `  state       {"key${ESCAPED}":"value${ESCAPED}","nested":{"list":["${ESCAPED}"]}}`,
      '',
    ]);
    expect(stdout).toContain(`add "/key${ESCAPED}" "value${ESCAPED}"\n`);
    expect(stdout).toContain(`add /nested {"list":["${ESCAPED}"]}\n`);
  });

  it('--json parses back to exactly the stored values, with no raw control character in the text', async () => {
    const { code, stdout } = await asynx('inspect', controlDir, id, '--json');
    expect(code).toBe(0);
    expect(stdout).not.toMatch(RAW_CONTROL);
    // C1, U+2028/2029 and bidi controls are escaped as \uXXXX, which is the same JSON string.
    expect(stdout).toContain('\\u009b31m\\u0085\\u2028\\u2029\\u202eevil\\u2066x\\u2069');
    const history = JSON.parse(stdout) as HistoryJson;
    expect(history).toMatchObject({ aggregate: `Note${CONTROL_TEXT}`, aggregateId: id });
    const [event] = history.events;
    expect(event).toMatchObject({ name: `Put${CONTROL_TEXT}`, commandId, metadata, state });
    expect(event!.patch).toEqual(
      expect.arrayContaining([
        { op: 'add', path: `/key${CONTROL_TEXT}`, value: `value${CONTROL_TEXT}` },
        { op: 'add', path: '/nested', value: { list: [CONTROL_TEXT] } },
      ]),
    );
  });

  it('errors show the aggregate ID or directory given on the command line escaped, and a value shown bare is the value as typed', async () => {
    expect(await asynx('inspect', controlDir, `missing${CONTROL_TEXT}`)).toEqual({ code: 1, stdout: '', stderr: `asynx: no events for "missing${ESCAPED}"\n` });
    // A bare value is never escaped, and one that starts with a quote is quoted: the two cannot be confused.
    expect((await asynx('inspect', controlDir, 'ORD\\u001b')).stderr).toBe('asynx: no events for ORD\\u001b\n');
    expect((await asynx('inspect', controlDir, '"ORD\\u001b"')).stderr).toBe('asynx: no events for "\\"ORD\\\\u001b\\""\n');
    // Nor can an empty one be taken for a message cut short.
    expect(await asynx('inspect', controlDir, '')).toEqual({ code: 1, stdout: '', stderr: 'asynx: no events for ""\n' });
    expect(await asynx('inspect', '')).toMatchObject({ code: 1, stderr: expect.stringMatching(/^asynx: "" /) });
    const missing = join(tempDir(), `nowhere${CONTROL_TEXT}`);
    const escapedMissing = `"${join(missing, '..')}/nowhere${ESCAPED}"`;
    expect(await asynx('inspect', missing)).toEqual({ code: 1, stdout: '', stderr: `asynx: data directory ${escapedMissing} does not exist\n` });
    const unknown = await asynx(`frobnicate${CONTROL_TEXT}`);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).not.toMatch(RAW_CONTROL);
    expect(unknown.stderr).toContain(`unknown command 'frobnicate${ESCAPED}'`);
  });
});

describe('a data directory whose shard files store format 1 wrote', () => {
  /** The summary's figures, without file sizes, which the rewrite changes. */
  const figures = (summary: SummaryJson): unknown =>
    summary.shards.map(({ shard, aggregates, events, snapshots, headPosition, checkpoints }) => ({ shard, aggregates, events, snapshots, headPosition, checkpoints }));
  const inspectJson = async <T>(...args: string[]): Promise<T> => {
    const result = await asynx('inspect', ...args, '--json');
    expect(result).toMatchObject({ code: 0, stderr: '' });
    return JSON.parse(result.stdout) as T;
  };
  const formats = (dir: string): string[] =>
    [0, 1].map((shard) => {
      const db = new Database(join(dir, `shard-${shard}.db`), { readonly: true });
      try {
        return db.prepare("SELECT value FROM meta WHERE key = 'format'").pluck().get() as string;
      } finally {
        db.close();
      }
    });

  it('is inspected as it was, and an engine opening it rewrites it with every event, state and checkpoint kept', async () => {
    const old = join(tempDir(), 'format-1');
    cpSync(dataDir, old, { recursive: true });
    for (const shard of [0, 1]) downgradeToFormat1(join(old, `shard-${shard}.db`));
    expect(formats(old)).toEqual(['1', '1']);

    const expectedSummary = figures(await inspectJson<SummaryJson>(dataDir));
    const expectedHistory = { ...(await inspectJson<HistoryJson>(dataDir, 'ORD-1')), dataDir: old };
    expect(figures(await inspectJson<SummaryJson>(old))).toEqual(expectedSummary);
    expect(await inspectJson<HistoryJson>(old, 'ORD-1')).toEqual(expectedHistory);

    const engine = await open({ domain: orderDomain, dataDir: old, shards: 2 });
    try {
      expect(await engine.get('ORD-1')).toMatchObject({ id: 'ORD-1', status: 'Shipped' });
      expect(await engine.get('ORD-2')).toMatchObject({ id: 'ORD-2', status: 'Confirmed' });
      // A re-sent commandId still finds its original event.
      const again = await engine.send('ConfirmOrder', { id: 'ORD-1' }, { commandId: 'confirm-1', metadata: { user: 'ana' } });
      expect(again).toMatchObject({ aggregateId: 'ORD-1', version: 2 });
    } finally {
      await engine.close();
    }
    expect(formats(old)).toEqual(['2', '2']);
    expect(figures(await inspectJson<SummaryJson>(old))).toEqual(expectedSummary);
    expect(await inspectJson<HistoryJson>(old, 'ORD-1')).toEqual(expectedHistory);
  });
});

describe('errors: one line on stderr, exit code 1', () => {
  it('a missing data directory', async () => {
    const missing = join(tempDir(), 'nowhere');
    expect(await asynx('inspect', missing)).toEqual({ code: 1, stdout: '', stderr: `asynx: data directory ${missing} does not exist\n` });
  });

  it('a directory that is not an asynx data directory, or a file', async () => {
    const plain = tempDir();
    writeFileSync(join(plain, 'notes.txt'), 'hello');
    expect(await asynx('inspect', plain)).toEqual({ code: 1, stdout: '', stderr: `asynx: ${plain} is not an asynx data directory (it has no asynx.json)\n` });
    expect(await asynx('inspect', join(plain, 'notes.txt'))).toMatchObject({ code: 1, stderr: `asynx: ${join(plain, 'notes.txt')} is not a directory\n` });
  });

  it('a damaged manifest', async () => {
    const damaged = tempDir();
    writeFileSync(join(damaged, 'asynx.json'), '{ "aggregate": ');
    const result = await asynx('inspect', damaged);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`asynx: ${join(damaged, 'asynx.json')} is not valid JSON; the data directory's manifest is damaged\n`);
    writeFileSync(join(damaged, 'asynx.json'), '{ "aggregate": "Order" }');
    expect((await asynx('inspect', damaged)).stderr).toBe(`asynx: ${join(damaged, 'asynx.json')} is malformed: it needs aggregate, shards and hashScheme\n`);
  });

  it('a manifest whose shard count is outside 1–256 or whose fields have the wrong type, with or without an aggregate ID', async () => {
    const damaged = tempDir();
    const manifest = { format: 1, aggregate: 'Order', shards: 2, hashScheme: 'fnv1a32-utf16+fmix32', createdAt: '2024-01-01T00:00:00.000Z' };
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ shards: 1e9 }, 'shards must be an integer from 1 to 256, got 1000000000'],
      [{ shards: 257 }, 'shards must be an integer from 1 to 256, got 257'],
      [{ shards: 0 }, 'shards must be an integer from 1 to 256, got 0'],
      [{ shards: 2.5 }, 'shards must be an integer from 1 to 256, got 2.5'],
      [{ shards: '2' }, 'shards must be an integer from 1 to 256, got "2"'],
      [{ aggregate: '' }, 'aggregate must be a non-empty string, got ""'],
      [{ hashScheme: 7, format: 'one' }, 'hashScheme must be a non-empty string, got 7; format must be an integer from 1, got "one"'],
      [{ createdAt: 0 }, 'createdAt must be a string, got 0'],
    ];
    for (const [change, problem] of cases) {
      writeFileSync(join(damaged, 'asynx.json'), JSON.stringify({ ...manifest, ...change }));
      const expected = { code: 1, stdout: '', stderr: `asynx: ${join(damaged, 'asynx.json')} is malformed: ${problem}\n` };
      expect(await asynx('inspect', damaged)).toEqual(expected);
      expect(await asynx('inspect', damaged, 'ORD-1')).toEqual(expected);
    }
    writeFileSync(join(damaged, 'asynx.json'), '[2]');
    expect((await asynx('inspect', damaged)).stderr).toBe(`asynx: ${join(damaged, 'asynx.json')} is malformed: it must be a JSON object, got an array\n`);
  });

  it('an aggregate with no events', async () => {
    expect(await asynx('inspect', dataDir, 'ORD-404')).toEqual({ code: 1, stdout: '', stderr: 'asynx: no events for ORD-404\n' });
  });

  it('a garbage shard file is reported, the other shards still shown', async () => {
    const broken = join(tempDir(), 'broken');
    const engine = await open({ domain: orderDomain, dataDir: broken, shards: 2 });
    await engine.send('CreateOrder', { id: 'ORD-1', total: 1, items: 1, shipTo: 'x' });
    await engine.close();
    const victim = shardOf('ORD-1') === 0 ? 1 : 0;
    writeFileSync(join(broken, `shard-${victim}.db`), 'not a database at all, just text that is long enough to look like a header'.repeat(4));
    const result = await asynx('inspect', broken);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(new RegExp(`shard-${victim}\\.db .*unreadable: file is not a database`));
    expect(result.stderr).toBe(`asynx: shard-${victim}.db is unreadable: file is not a database\n`);
    expect(result.stdout).toMatch(/ all +[\d.]+ KiB +1 +1 +0/);
  });

  it('a shard file deleted from a directory whose manifest records it as created, in the summary and for an aggregate it held', async () => {
    const damaged = join(tempDir(), 'lost-shard');
    cpSync(dataDir, damaged, { recursive: true });
    const victim = shardOf('ORD-1');
    rmSync(join(damaged, `shard-${victim}.db`));
    const lost = `shard-${victim}.db is unreadable: the file is missing, though asynx.json records every shard file as created: its aggregates' history is gone`;
    const summary = await asynx('inspect', damaged);
    expect(summary.code).toBe(1);
    expect(summary.stdout).toMatch(new RegExp(`shard-${victim}\\.db +missing .*unreadable: the file is missing`));
    expect(summary.stderr).toBe(`asynx: ${lost}\n`);
    expect(await asynx('inspect', damaged, 'ORD-1')).toEqual({
      code: 1,
      stdout: '',
      stderr: `asynx: shard-${victim}.db, where ORD-1 would be, is unreadable: the file is missing, though asynx.json records every shard file as created: its aggregates' history is gone\n`,
    });
  });

  it('an emptied shard file is read as the engine reads it: lost once every shard file was created, not made yet before', async () => {
    const damaged = join(tempDir(), 'emptied-shard');
    cpSync(dataDir, damaged, { recursive: true });
    const victim = shardOf('ORD-1');
    writeFileSync(join(damaged, `shard-${victim}.db`), '');
    const lost = `the file is empty, though asynx.json records every shard file as created: its aggregates' history is gone`;
    const summary = await asynx('inspect', damaged);
    expect(summary).toMatchObject({ code: 1, stderr: `asynx: shard-${victim}.db is unreadable: ${lost}\n` });
    expect(await asynx('inspect', damaged, 'ORD-1')).toEqual({ code: 1, stdout: '', stderr: `asynx: shard-${victim}.db, where ORD-1 would be, is unreadable: ${lost}\n` });

    // A directory whose first start was cut off before it wrote the file.
    const manifest = JSON.parse(readFileSync(join(damaged, 'asynx.json'), 'utf8')) as Record<string, unknown>;
    delete manifest.shardFilesCreated;
    writeFileSync(join(damaged, 'asynx.json'), JSON.stringify(manifest));
    const unmade = await asynx('inspect', damaged, '--json');
    expect(unmade).toMatchObject({ code: 0, stderr: '' });
    expect((JSON.parse(unmade.stdout) as SummaryJson).shards[victim]).toMatchObject({ exists: true, events: 0, bytes: { db: 0 } });
    expect(await asynx('inspect', damaged, 'ORD-1')).toEqual({ code: 1, stdout: '', stderr: 'asynx: no events for ORD-1\n' });
  });

  it('an unknown command or a missing argument', async () => {
    expect(await asynx('frobnicate')).toMatchObject({ code: 1, stderr: expect.stringContaining("error: unknown command 'frobnicate'") });
    expect(await asynx('inspect')).toMatchObject({ code: 1, stderr: expect.stringContaining("error: missing required argument 'dataDir'") });
    expect(await asynx('example', '--shards', 'two')).toMatchObject({ code: 1, stderr: expect.stringContaining('must be a positive integer') });
  });
});

describe('inspecting while an engine runs on the directory', () => {
  it('reads consistent figures without disturbing the engine', async () => {
    const live = join(tempDir(), 'live');
    const engine = await open({ domain: orderDomain, dataDir: live, shards: 2 });
    try {
      engine.subscribe('Order*', () => undefined, { durable: 'mailer' });
      for (let i = 0; i < 20; i++) await engine.send('CreateOrder', { id: `L-${i}`, total: 5, items: 1, shipTo: 'x' });
      await engine.drain();

      // Commands keep committing while the CLI reads.
      let sending = true;
      let sent = 0;
      const writer = (async () => {
        while (sending) {
          await engine.send('CreateOrder', { id: `W-${sent}`, total: 5, items: 1, shipTo: 'y' });
          sent++;
        }
      })();
      const [summaryRun, historyRun] = await Promise.all([asynx('inspect', live, '--json'), asynx('inspect', live, 'L-3', '--json')]);
      sending = false;
      await writer;
      expect(sent).toBeGreaterThan(0);

      expect(summaryRun).toMatchObject({ code: 0, stderr: '' });
      const summary = JSON.parse(summaryRun.stdout) as SummaryJson;
      for (const shard of summary.shards) {
        // Count and head come from one read transaction: they agree even mid-write.
        expect(shard.events).toBe(shard.headPosition);
        expect(shard.aggregates).toBe(shard.events);
        expect(shard.bytes.wal).toBeGreaterThan(0);
      }
      expect(summary.totals.events).toBeGreaterThanOrEqual(20);
      expect(summary.totals.events).toBeLessThanOrEqual(20 + sent);
      expect(historyRun.code).toBe(0);
      expect((JSON.parse(historyRun.stdout) as HistoryJson).events.map((e) => e.state)).toEqual([
        { id: 'L-3', status: 'Pending', total: 5, items: 1, ship_to: 'x' },
      ]);

      // The engine carries on: more commands, reads and a clean close.
      await engine.send('ConfirmOrder', { id: 'L-3' });
      expect(await engine.get('L-3')).toMatchObject({ status: 'Confirmed' });
      const after = JSON.parse((await asynx('inspect', live, '--json')).stdout) as SummaryJson;
      expect(after.totals.events).toBe(20 + sent + 1);
    } finally {
      await engine.close();
    }
    const closed = JSON.parse((await asynx('inspect', live, '--json')).stdout) as SummaryJson;
    expect(closed.shards.flatMap((s) => s.checkpoints.map((c) => c.name))).toEqual(['mailer', 'mailer']);
    expect(closed.shards.every((s) => s.checkpoints[0]!.lag === 0)).toBe(true);
  });
});

describe('asynx example and asynx bench', () => {
  it('example runs the order example into --data, which inspect then reads', async () => {
    const target = join(tempDir(), 'example');
    const run = await asynx('example', '--data', target, '--shards', '3');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Step 1: Setting up the engine (3 shards)...');
    expect(run.stdout.trimEnd().split('\n').pop()).toBe('✅ Example completed successfully!');
    const summary = JSON.parse((await asynx('inspect', target, '--json')).stdout) as SummaryJson;
    expect(summary.manifest.shards).toBe(3);
    expect(summary.totals).toMatchObject({ aggregates: 3, events: 9, snapshots: 3 });
  });

  it('example removes its temporary data directory when the engine does not start', async () => {
    const tmp = tempDir();
    const run = await execFileAsync(process.execPath, [cli, 'example', '--shards', '257'], { env: { ...process.env, TMPDIR: tmp } }).catch(
      (error: { code: number; stderr: string }) => error,
    );
    expect(run).toMatchObject({ code: 1, stderr: 'asynx: option shards must be an integer from 1 to 256, got 257\n' });
    expect(readdirSync(tmp)).toEqual([]);
  });

  it('bench passes its arguments to the benchmark runner', async () => {
    const result = await asynx('bench', '--help');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/--shards/);
    expect(result.stdout).toMatch(/--quick/);
    expect(result.stdout).toMatch(/^usage: asynx bench \[scenario…\]/);
  });

  it('bench names itself in the runner\'s refusals', async () => {
    const result = await asynx('bench', '--shards', '0', '--no-record');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--shards takes whole numbers from 1 to 256[^]*usage: asynx bench \[scenario…\]/);
  });

  it('--version prints the package version, and the package names the CLI as its bin', async () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string; bin: Record<string, string> };
    expect((await asynx('--version')).stdout.trim()).toBe(pkg.version);
    expect(pkg.bin.asynx).toBe('./dist/src/cli/main.js');
    expect(readFileSync(pkg.bin.asynx, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
  });
});
