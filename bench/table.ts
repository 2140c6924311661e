/** The results as one table: aligned text for a terminal, or Markdown for RESULTS.md. */
import type { RatedResult } from './ratios.js';

const HEADERS = ['scenario', 'workload', 'variant', 'shards', 'conc', 'throughput', 'unit', 'p50 ms', 'p99 ms', 'p99.9 ms', 'cpu µs/op', 'main µs/op', '×txn', '×batched', '×raw', '×emmett', 'note'];
/** Numbers read best right-aligned. */
const RIGHT = new Set(['shards', 'conc', 'throughput', 'p50 ms', 'p99 ms', 'p99.9 ms', 'cpu µs/op', 'main µs/op', '×txn', '×batched', '×raw', '×emmett']);

function milliseconds(ms: number): string {
  if (!Number.isFinite(ms)) return '-';
  return ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2);
}

function ratio(value: number | undefined): string {
  return value === undefined ? '' : `${value.toFixed(2)}×`;
}

function cells(r: RatedResult): string[] {
  return [
    r.scenario,
    r.workload,
    r.variant,
    String(r.shards),
    r.concurrency === 0 ? 'open' : String(r.concurrency),
    r.opsPerSec.toLocaleString('en-US'),
    r.unit,
    milliseconds(r.p50Ms),
    milliseconds(r.p99Ms),
    milliseconds(r.p999Ms),
    r.cpuUsPerOp === undefined ? '' : r.cpuUsPerOp.toFixed(1),
    r.mainCpuUsPerOp === undefined ? '' : r.mainCpuUsPerOp.toFixed(1),
    ratio(r.ratios['txn-per-command']),
    ratio(r.ratios['batched-single-thread']),
    ratio(r.ratios['raw-sqlite']),
    ratio(r.ratios.emmett),
    r.note ?? '',
  ];
}

export function formatTable(results: readonly RatedResult[]): string {
  const rows = [HEADERS, ...results.map(cells)];
  const widths = HEADERS.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  const line = (row: readonly string[]): string =>
    row
      .map((cell, column) => (RIGHT.has(HEADERS[column]!) ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!)))
      .join('  ')
      .trimEnd();
  return [line(HEADERS), widths.map((w) => '-'.repeat(w)).join('  '), ...results.map((r) => line(cells(r)))].join('\n');
}

export function formatMarkdownTable(results: readonly RatedResult[]): string {
  const escape = (cell: string): string => cell.replaceAll('|', '\\|');
  const align = HEADERS.map((h) => (RIGHT.has(h) ? '---:' : '---'));
  return [HEADERS, align, ...results.map(cells)].map((row) => `| ${row.map(escape).join(' | ')} |`).join('\n');
}
