/**
 * bench/scaling.svg: engine throughput against shard count, one line per
 * scenario (and workload), with the raw-sqlite ceiling dashed. Hand-written
 * SVG: log scales on both axes, since shard counts double and throughputs
 * differ by orders of magnitude between scenarios.
 */
import type { BenchResult } from './result.js';

export interface ChartSeries {
  readonly name: string;
  readonly dashed: boolean;
  readonly points: ReadonlyArray<{ readonly shards: number; readonly opsPerSec: number }>;
}

const WIDTH = 760;
const HEIGHT = 440;
const MARGIN = { left: 72, right: 230, top: 48, bottom: 52 } as const;
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf'];
const RAW_COLOR = '#7f7f7f';

/**
 * The series worth drawing: throughput scenarios only (latency runs at a
 * fixed offered rate, hydration is per-get time). Where a scenario ran at
 * several sender counts, the highest one is drawn.
 */
export function scalingSeries(results: readonly BenchResult[]): ChartSeries[] {
  const groups = new Map<string, BenchResult[]>();
  for (const r of results) {
    if (r.scenario === 'latency' || r.scenario === 'hydration') continue;
    if (r.variant !== 'engine' && r.variant !== 'raw-sqlite') continue;
    const key = r.variant === 'raw-sqlite' ? 'raw-sqlite (storage ceiling)' : r.workload === 'default' ? r.scenario : `${r.scenario} ${r.workload}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const series: ChartSeries[] = [];
  for (const [name, rows] of groups) {
    const concurrency = Math.max(...rows.map((r) => r.concurrency));
    const points = rows
      .filter((r) => r.concurrency === concurrency)
      .map((r) => ({ shards: r.shards, opsPerSec: r.opsPerSec }))
      .sort((a, b) => a.shards - b.shards);
    const label = rows[0]!.variant === 'engine' && concurrency > 1 && rows[0]!.scenario === 'order' ? `${name} (${concurrency} senders)` : name;
    if (new Set(points.map((p) => p.shards)).size >= 2) series.push({ name: label, dashed: rows[0]!.variant === 'raw-sqlite', points });
  }
  return series;
}

function escapeXml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
}

function compact(value: number): string {
  if (value >= 1_000_000) return `${value / 1_000_000}M`;
  if (value >= 1000) return `${value / 1000}k`;
  return String(value);
}

/** The chart, or `undefined` when no series has two shard counts to join. */
export function scalingChart(results: readonly BenchResult[], subtitle: string): string | undefined {
  const series = scalingSeries(results);
  if (series.length === 0) return undefined;
  const shardCounts = [...new Set(series.flatMap((s) => s.points.map((p) => p.shards)))].sort((a, b) => a - b);
  const values = series.flatMap((s) => s.points.map((p) => p.opsPerSec)).filter((v) => v > 0);
  const yMin = 10 ** Math.floor(Math.log10(Math.min(...values)));
  const yMax = 10 ** Math.ceil(Math.log10(Math.max(...values)));
  const xMin = Math.log2(shardCounts[0]!);
  const xSpan = Math.max(1, Math.log2(shardCounts[shardCounts.length - 1]!) - xMin);
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const x = (shards: number): number => MARGIN.left + ((Math.log2(shards) - xMin) / xSpan) * plotW;
  const y = (value: number): number => MARGIN.top + plotH - ((Math.log10(value) - Math.log10(yMin)) / Math.log10(yMax / yMin)) * plotH;
  const fmt = (n: number): string => n.toFixed(1);

  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`);
  out.push(`<text x="${MARGIN.left}" y="20" font-size="15" font-weight="bold">Throughput vs shard count</text>`);
  out.push(`<text x="${MARGIN.left}" y="36" fill="#555555">${escapeXml(subtitle)}</text>`);
  for (let decade = yMin; decade <= yMax; decade *= 10) {
    for (const step of [1, 2, 5]) {
      const value = decade * step;
      if (value > yMax) break;
      const major = step === 1;
      out.push(
        `<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${fmt(y(value))}" y2="${fmt(y(value))}" stroke="${major ? '#cccccc' : '#eeeeee'}"/>`,
      );
      out.push(`<text x="${MARGIN.left - 6}" y="${fmt(y(value) + 4)}" text-anchor="end" fill="#333333">${compact(value)}</text>`);
    }
  }
  for (const shards of shardCounts) {
    out.push(`<line x1="${fmt(x(shards))}" x2="${fmt(x(shards))}" y1="${MARGIN.top}" y2="${MARGIN.top + plotH}" stroke="#eeeeee"/>`);
    out.push(`<text x="${fmt(x(shards))}" y="${MARGIN.top + plotH + 18}" text-anchor="middle" fill="#333333">${shards}</text>`);
  }
  out.push(`<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#888888"/>`);
  out.push(`<text x="${MARGIN.left + plotW / 2}" y="${HEIGHT - 12}" text-anchor="middle">shards (worker threads, one SQLite file each)</text>`);
  out.push(
    `<text transform="translate(16 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle">operations per second (log scale)</text>`,
  );
  let solid = 0;
  series.forEach((s, i) => {
    const color = s.dashed ? RAW_COLOR : COLORS[solid++ % COLORS.length]!;
    const path = s.points.map((p) => `${fmt(x(p.shards))},${fmt(y(p.opsPerSec))}`).join(' ');
    out.push(`<polyline points="${path}" fill="none" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
    for (const p of s.points) {
      out.push(`<circle cx="${fmt(x(p.shards))}" cy="${fmt(y(p.opsPerSec))}" r="3" fill="${color}"><title>${escapeXml(`${s.name}: ${p.opsPerSec.toLocaleString('en-US')}/s at ${p.shards} shards`)}</title></circle>`);
    }
    const legendY = MARGIN.top + 10 + i * 20;
    const legendX = MARGIN.left + plotW + 16;
    out.push(`<line x1="${legendX}" x2="${legendX + 22}" y1="${legendY}" y2="${legendY}" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
    out.push(`<text x="${legendX + 28}" y="${legendY + 4}">${escapeXml(s.name)}</text>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
