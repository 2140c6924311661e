/**
 * Text output of `asynx inspect`: aligned tables for the summary, one block
 * per event for an aggregate's history. Stored strings are shown with
 * `shown`, stored JSON with `safeJson`, and every line is passed through
 * `escapeControls` at the end, so nothing read from the files reaches the
 * terminal with a control character in it (see terminal-text.ts).
 */
import type { PatchOperation } from '../domain.js';
import type { AggregateHistory, DataDirSummary } from './inspect.js';
import { escapeControls, safeJson, shown } from './terminal-text.js';

/** The lines as the command prints them. */
function printable(lines: readonly string[]): string {
  return `${lines.map(escapeControls).join('\n')}\n`;
}

/** `1536` → `1.5 KiB`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

/** Columns padded to their widest cell; `right` columns are right-aligned (numbers). */
export function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>, right: ReadonlySet<number> = new Set()): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => (right.has(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

export function formatSummary(summary: DataDirSummary): string {
  const { manifest } = summary;
  const lines = [
    `asynx data directory ${shown(summary.dataDir)}`,
    `  aggregate    ${shown(manifest.aggregate)}`,
    `  shards       ${manifest.shards}`,
    `  hash scheme  ${shown(manifest.hashScheme)}`,
    `  created      ${manifest.createdAt === undefined ? '(unknown)' : shown(manifest.createdAt)}`,
    `  format       ${manifest.format}`,
    '',
  ];
  const rows = summary.shards.map((s) => [
    String(s.shard),
    s.file,
    s.exists ? formatBytes(s.bytes.total) : 'missing',
    s.exists ? formatBytes(s.bytes.wal) : '-',
    String(s.aggregates),
    String(s.events),
    String(s.snapshots),
    String(s.headPosition),
    s.error === undefined ? '' : `unreadable: ${s.error}`,
  ]);
  const { totals } = summary;
  rows.push(['all', '', formatBytes(totals.bytes), '', String(totals.aggregates), String(totals.events), String(totals.snapshots), '', '']);
  lines.push(...table(['shard', 'file', 'size', 'wal', 'aggregates', 'events', 'snapshots', 'head', ''], rows, new Set([0, 2, 3, 4, 5, 6, 7])));
  lines.push('');
  const checkpoints = summary.shards.flatMap((s) =>
    s.checkpoints.map((c) => [shown(c.name), String(s.shard), String(c.position), String(s.headPosition), String(c.lag)]),
  );
  if (checkpoints.length === 0) {
    lines.push('durable subscriptions: none');
  } else {
    checkpoints.sort((a, b) => a[0]!.localeCompare(b[0]!) || Number(a[1]) - Number(b[1]));
    lines.push('durable subscriptions (lag = head - checkpoint, in positions)');
    lines.push(...table(['name', 'shard', 'checkpoint', 'head', 'lag'], checkpoints, new Set([1, 2, 3, 4])).map((l) => `  ${l}`));
  }
  return printable(lines);
}

/** One patch operation as `replace /status "Confirmed"`. */
export function formatOperation(op: PatchOperation): string {
  const path = shown(op.path);
  switch (op.op) {
    case 'remove':
      return `remove ${path}`;
    case 'move':
    case 'copy':
      return `${op.op} ${op.from === undefined ? '?' : shown(op.from)} -> ${path}`;
    default:
      return `${shown(op.op)} ${path} ${safeJson(op.value)}`;
  }
}

/**
 * The history as the command prints it, in pieces: the header, then one
 * block per event. A long history of large states is longer than one
 * string can be (V8's limit, about 512 Mi characters), so it is never
 * joined into one.
 */
export function* formatHistory(history: AggregateHistory): Generator<string> {
  const count = history.events.length;
  const latest = history.events[count - 1]!;
  const header = [
    `${shown(history.aggregate)} ${shown(history.aggregateId)}: shard ${history.shard} of ${history.shards} (${history.file}), ` +
      `${count} event${count === 1 ? '' : 's'}, version ${latest.version}`,
  ];
  if (history.snapshot !== undefined) {
    header.push(`snapshot at version ${history.snapshot.version} (schema ${history.snapshot.schemaVersion})`);
  }
  if (history.note !== undefined) header.push(`note: ${history.note}`);
  yield printable(header);
  for (const event of history.events) {
    const lines = [''];
    lines.push(`v${event.version}  ${shown(event.name)}  ${shown(event.occurredAt)}  position ${event.position}  schema ${event.schemaVersion}`);
    if (event.commandId !== undefined) lines.push(`  command id  ${shown(event.commandId)}`);
    if (event.metadata !== undefined) lines.push(`  metadata    ${safeJson(event.metadata)}`);
    if (event.patch.length === 0) lines.push('  patch       (empty: the state did not change)');
    event.patch.forEach((op, i) => lines.push(`${i === 0 ? '  patch       ' : '              '}${formatOperation(op)}`));
    lines.push(`  state       ${event.state === null ? '(not shown: see the note above)' : safeJson(event.state)}`);
    yield printable(lines);
  }
}

/**
 * `safeJson(history, 2)` and a line break, in pieces, for the same reason:
 * the fields before `events` (the last one), then each event indented as
 * `JSON.stringify` indents an array's items. Raw line breaks in JSON text
 * are only layout (those in strings are escaped), so indenting is a replace.
 */
export function* historyJson(history: AggregateHistory): Generator<string> {
  const { events, ...fields } = history;
  const head = safeJson({ ...fields, events: [] }, 2);
  if (events.length === 0) {
    yield `${head}\n`;
    return;
  }
  yield `${head.slice(0, -'[]\n}'.length)}[\n`;
  for (let i = 0; i < events.length; i++) {
    yield `    ${safeJson(events[i], 2).replace(/\n/g, '\n    ')}${i < events.length - 1 ? ',' : ''}\n`;
  }
  yield '  ]\n}\n';
}
