/**
 * The Prometheus exporter (`asynx-ts/prometheus`): an engine and the example
 * metrics server in this process, commands sent, `/metrics` scraped over
 * HTTP, and every metric checked against `engine.stats()`.
 */
import { execFile, spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Registry, type OpenMetricsContentType } from 'prom-client';
import { InvalidArgumentError, ValidationError, open, type Engine, type EngineStats } from '../dist/src/index.js';
import { METRIC_DEFINITIONS, registerMetrics } from '../dist/src/prometheus.js';
import { serveMetrics, type MetricsServer } from '../dist/examples/metrics-server.js';
import { orderDomain } from '../dist/examples/order/domain.js';
import { useTempDirs } from './support/temp-dir.js';

const tempDir = useTempDirs();
const run = promisify(execFile);

interface Scrape {
  readonly types: Map<string, string>;
  readonly helps: Map<string, string>;
  /** `name{label="value",…}` → value, exactly as exposed. */
  readonly samples: Map<string, number>;
}

function parse(text: string): Scrape {
  const types = new Map<string, string>();
  const helps = new Map<string, string>();
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    const meta = /^# (TYPE|HELP) (\S+) (.*)$/.exec(line);
    if (meta !== null) (meta[1] === 'TYPE' ? types : helps).set(meta[2]!, meta[3]!);
    else if (line.trim() !== '' && !line.startsWith('#')) {
      const at = line.lastIndexOf(' ');
      samples.set(line.slice(0, at), Number(line.slice(at + 1)));
    }
  }
  return { types, helps, samples };
}

/** The value of one series; fails the test when it is not exposed. */
function value(scrape: Scrape, series: string): number {
  const found = scrape.samples.get(series);
  if (found === undefined) throw new Error(`series ${series} is not exposed; exposed: ${[...scrape.samples.keys()].join(', ')}`);
  return found;
}

function sum(scrape: Scrape, name: string): number {
  let total = 0;
  for (const [series, v] of scrape.samples) if (series === name || series.startsWith(`${name}{`)) total += v;
  return total;
}

async function scrape(url: string): Promise<Scrape> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
  return parse(await response.text());
}

describe('registerMetrics + the example /metrics server', () => {
  let engine: Engine<typeof orderDomain>;
  let server: MetricsServer;
  const registry = new Registry();

  beforeAll(async () => {
    // No periodic checkpoint saves: they are batches too, and would move the figures between a scrape and stats().
    engine = await open({ domain: orderDomain, dataDir: tempDir(), shards: 2, onHandlerError: () => undefined, checkpointIntervalMs: 3_600_000 });
    registerMetrics(engine, { registry });
    server = await serveMetrics(registry, { port: 0 });
    engine.subscribe('Order*', () => undefined, { name: 'reporter' });
    engine.subscribe('OrderConfirmed', () => {
      throw new Error('mail server down');
    }, { name: 'mailer' });
    engine.subscribe('Order*', () => undefined, { durable: 'audit' });
    for (let i = 1; i <= 6; i++) await engine.send('CreateOrder', { id: `ORD-${i}`, total: 10, items: 1, shipTo: 'x' });
    await engine.send('ConfirmOrder', { id: 'ORD-1' });
    await engine.send('ConfirmOrder', { id: 'ORD-2' });
    await expect(engine.send('ShipOrder', { id: 'ORD-3' })).rejects.toBeInstanceOf(ValidationError);
    await expect(engine.send('ConfirmOrder', { id: 'ORD-404' })).rejects.toBeInstanceOf(ValidationError);
    await engine.drain();
  });

  afterAll(async () => {
    await server.close();
    await engine.close();
  });

  it('serves only GET /metrics', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    expect((await fetch(server.url.replace('/metrics', '/'))).status).toBe(404);
  });

  it('exposes every metric, with its type and help, under the asynx_ prefix', async () => {
    const { types, helps } = await scrape(server.url);
    const expected = new Map([...METRIC_DEFINITIONS.map((d) => [`asynx_${d.name}`, d.kind] as const), ['asynx_batch_size', 'histogram']]);
    expect(new Map([...types].filter(([name]) => name.startsWith('asynx_')))).toEqual(expected);
    for (const name of expected.keys()) expect(helps.get(name)).toMatch(/\S/);
    // Conventions: counters end in _total, times are in seconds.
    for (const [name, type] of expected) expect(name.endsWith('_total')).toBe(type === 'counter');
    expect([...expected.keys()].filter((n) => /latency/.test(n) && !/_seconds$|_samples$/.test(n))).toEqual([]);
  });

  it('reports the shards’ counters as engine.stats() has them', async () => {
    const metrics = await scrape(server.url);
    const stats: EngineStats = engine.stats();
    expect(value(metrics, 'asynx_shards')).toBe(2);
    expect(sum(metrics, 'asynx_commands_committed_total')).toBe(8);
    expect(sum(metrics, 'asynx_commands_rejected_total')).toBe(2);
    expect(sum(metrics, 'asynx_shard_crashes_total')).toBe(0);
    for (const s of stats.shards) {
      const shard = `shard="${s.shard}"`;
      expect(value(metrics, `asynx_commands_committed_total{${shard}}`)).toBe(s.committed);
      expect(value(metrics, `asynx_commands_rejected_total{${shard}}`)).toBe(s.rejected);
      expect(value(metrics, `asynx_batches_total{${shard}}`)).toBe(s.batches);
      expect(value(metrics, `asynx_batch_size_max{${shard}}`)).toBe(s.maxBatchSize);
      expect(value(metrics, `asynx_shard_queue_depth{${shard}}`)).toBe(0);
      expect(value(metrics, `asynx_shard_in_flight{${shard}}`)).toBe(0);
      expect(value(metrics, `asynx_shard_broken{${shard}}`)).toBe(0);
      expect(value(metrics, `asynx_cache_hits_total{${shard}}`)).toBe(s.cache.hits);
      expect(value(metrics, `asynx_cache_misses_total{${shard}}`)).toBe(s.cache.misses);
      expect(value(metrics, `asynx_cache_aggregates{${shard}}`)).toBe(s.cache.size);
      // The latency percentiles change only with new commands, so these equal the stats read just now.
      expect(value(metrics, `asynx_command_latency_seconds{${shard},quantile="0.5"}`)).toBeCloseTo(s.latency.p50Ms / 1000, 9);
      expect(value(metrics, `asynx_command_latency_seconds{${shard},quantile="0.99"}`)).toBeCloseTo(s.latency.p99Ms / 1000, 9);
      expect(value(metrics, `asynx_command_latency_seconds{${shard},quantile="0.999"}`)).toBeCloseTo(s.latency.p999Ms / 1000, 9);
      expect(value(metrics, `asynx_command_latency_samples{${shard}}`)).toBe(s.latency.samples);
    }
    const p50 = value(metrics, 'asynx_command_latency_seconds{shard="0",quantile="0.5"}');
    expect(p50).toBeGreaterThan(0);
    expect(p50).toBeLessThan(5); // seconds, not milliseconds
  });

  it('exposes batch sizes as a cumulative histogram per shard', async () => {
    const metrics = await scrape(server.url);
    for (const s of engine.stats().shards) {
      const shard = `shard="${s.shard}"`;
      const bounds = ['1', '2', '4', '8', '16', '32', '64', '128', '256', '512', '1024', '+Inf'];
      const buckets = bounds.map((le) => value(metrics, `asynx_batch_size_bucket{${shard},le="${le}"}`));
      for (let i = 1; i < buckets.length; i++) expect(buckets[i]).toBeGreaterThanOrEqual(buckets[i - 1]!);
      expect(buckets[0]).toBe(s.batchSizes[0]!.count);
      expect(buckets[buckets.length - 1]).toBe(s.batches);
      expect(value(metrics, `asynx_batch_size_count{${shard}}`)).toBe(s.batches);
      expect(value(metrics, `asynx_batch_size_sum{${shard}}`)).toBe(Math.round(s.meanBatchSize * s.batches));
    }
  });

  it('reports the bus and every subscriber, with lag per shard and durable checkpoints', async () => {
    const metrics = await scrape(server.url);
    expect(value(metrics, 'asynx_events_published_total')).toBe(8);
    expect(value(metrics, 'asynx_subscriber_delivered_total{subscriber="reporter"}')).toBe(8);
    expect(value(metrics, 'asynx_subscriber_failed_total{subscriber="reporter"}')).toBe(0);
    expect(value(metrics, 'asynx_subscriber_delivered_total{subscriber="mailer"}')).toBe(0);
    expect(value(metrics, 'asynx_subscriber_failed_total{subscriber="mailer"}')).toBe(2);
    expect(value(metrics, 'asynx_subscriber_delivered_total{subscriber="audit"}')).toBe(8);
    for (const name of ['reporter', 'mailer', 'audit']) {
      expect(value(metrics, `asynx_subscriber_pending{subscriber="${name}"}`)).toBe(0);
      for (const shard of [0, 1]) expect(value(metrics, `asynx_subscriber_lag{subscriber="${name}",shard="${shard}"}`)).toBe(0);
    }
    const audit = engine.stats().bus.subscribers.find((s) => s.durable === 'audit')!;
    expect([0, 1].map((shard) => value(metrics, `asynx_subscriber_checkpoint_position{subscriber="audit",shard="${shard}"}`))).toEqual(audit.checkpoints);
    expect([...metrics.samples.keys()].filter((k) => k.startsWith('asynx_subscriber_checkpoint_position{subscriber="reporter"'))).toEqual([]);
  });

  it('every metric and every stats() field is documented in the README', () => {
    const readme = readFileSync('README.md', 'utf8');
    const metrics = readme.slice(readme.indexOf('## Metrics'));
    for (const d of METRIC_DEFINITIONS) expect(metrics).toContain(`| \`asynx_${d.name}\` | ${d.kind} |`);
    expect(metrics).toContain('| `asynx_batch_size` | histogram |');
    const stats = engine.stats();
    for (const key of Object.keys(stats.shards[0]!)) expect(metrics).toContain(`\`shards[i].${key}\``);
    expect(metrics).toContain('`bus.published`');
    const durable = stats.bus.subscribers.find((s) => s.durable !== undefined)!;
    for (const key of Object.keys(durable)) expect(metrics).toMatch(new RegExp(`\`bus\\.subscribers\\[j\\]\\.${key}\`|\`\\.${key}\``));
  });

  it('reads the stats at each scrape', async () => {
    const before = await scrape(server.url);
    await engine.send('ShipOrder', { id: 'ORD-1' });
    await engine.drain();
    const after = await scrape(server.url);
    expect(sum(after, 'asynx_commands_committed_total')).toBe(sum(before, 'asynx_commands_committed_total') + 1);
    expect(value(after, 'asynx_events_published_total')).toBe(value(before, 'asynx_events_published_total') + 1);
    expect(value(after, 'asynx_subscriber_delivered_total{subscriber="reporter"}')).toBe(9);
    expect(sum(after, 'asynx_batch_size_count')).toBeGreaterThan(sum(before, 'asynx_batch_size_count'));
  });
});

describe('registerMetrics options', () => {
  const fakeStats = (published: number): EngineStats => ({
    shards: [],
    bus: { published, subscribers: [{ name: 'twin', delivered: 2, failed: 1, pending: 1, lag: [1, 0] }, { name: 'twin', delivered: 3, failed: 0, pending: 2, lag: [0, 4] }] },
  });

  it('takes a prefix, refuses a second registration of the same names, and unregisters', async () => {
    const registry = new Registry();
    let published = 5;
    const calls: number[] = [];
    const source = {
      stats: () => {
        calls.push(published);
        return fakeStats(published);
      },
    };
    const metrics = registerMetrics(source, { registry, prefix: 'orders_' });
    expect(metrics.names).toContain('orders_events_published_total');
    expect(() => registerMetrics(source, { registry, prefix: 'orders_' })).toThrow(
      /orders_shards, orders_shard_queue_depth, .* are already registered; use another registry or prefix for a second engine/,
    );
    const first = parse(await registry.metrics());
    // One stats() call per scrape, however many metrics read it.
    expect(calls).toEqual([5]);
    expect(value(first, 'orders_events_published_total')).toBe(5);
    // Subscribers sharing a name are summed into one series.
    expect(value(first, 'orders_subscriber_delivered_total{subscriber="twin"}')).toBe(5);
    expect(value(first, 'orders_subscriber_pending{subscriber="twin"}')).toBe(3);
    expect(value(first, 'orders_subscriber_lag{subscriber="twin",shard="1"}')).toBe(4);
    await new Promise((resolve) => setImmediate(resolve));
    published = 7;
    expect(value(parse(await registry.metrics()), 'orders_events_published_total')).toBe(7);
    metrics.unregister();
    expect(await registry.metrics()).toBe('\n');
    expect(() => registerMetrics(source, { registry, prefix: 'bad prefix ' })).toThrow('is not a valid start of a metric name');
    expect(() => registerMetrics(source, { registry, prefix: 'bad prefix ' })).toThrow(InvalidArgumentError);
    expect(() => registerMetrics(null as never, { registry })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('must have a stats() method') }));
  });

  it('shows latency quantiles as NaN until a shard has timed a command, as a summary of no observations does, not as 0 seconds', async () => {
    const engine = await open({ domain: orderDomain, dataDir: tempDir(), shards: 1 });
    try {
      const registry = new Registry();
      registerMetrics(engine, { registry });
      const before = parse(await registry.metrics());
      expect(value(before, 'asynx_command_latency_samples{shard="0"}')).toBe(0);
      for (const quantile of ['0.5', '0.99', '0.999']) expect(value(before, `asynx_command_latency_seconds{shard="0",quantile="${quantile}"}`)).toBeNaN();
      await engine.send('CreateOrder', { id: 'ORD-NAN', total: 10, items: 1, shipTo: 'x' });
      const after = parse(await registry.metrics());
      expect(value(after, 'asynx_command_latency_samples{shard="0"}')).toBe(1);
      expect(value(after, 'asynx_command_latency_seconds{shard="0",quantile="0.5"}')).toBeGreaterThan(0);
    } finally {
      await engine.close();
    }
  });

  it('refuses a second registration on the same registry and a registry that is not one with InvalidArgumentError', () => {
    const registry = new Registry();
    const source = { stats: () => fakeStats(0) };
    registerMetrics(source, { registry });
    expect(() => registerMetrics(source, { registry })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/^registerMetrics\(\): asynx_shards, .* are already registered/) }),
    );
    expect(() => registerMetrics(source, { registry })).toThrow(InvalidArgumentError);
    for (const bad of [5, {}, 'registry']) {
      expect(() => registerMetrics(source, { registry: bad as never })).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('registerMetrics(): registry must be a prom-client Registry, got') }),
      );
    }
    expect(() => registerMetrics(source, { registry: 5 as never })).toThrow('registry must be a prom-client Registry, got number 5');
    // The class instead of an instance: named, not its source text.
    expect(() => registerMetrics(source, { registry: Registry as never })).toThrow(
      new InvalidArgumentError('registerMetrics(): registry must be a prom-client Registry, got a function (Registry)'),
    );
    expect(() => registerMetrics(source, 5 as never)).toThrow(InvalidArgumentError);
    expect(() => registerMetrics(source, [] as never)).toThrow('registerMetrics(engine, options): options must be an object, got an array');
    expect(() => registerMetrics(source, { registry, prefix: 3 as never })).toThrow(InvalidArgumentError);
    // null is not "use the default": the metrics would land on prom-client's global registry, or under asynx_.
    expect(() => registerMetrics(source, { registry: null as never })).toThrow('registerMetrics(): registry must be a prom-client Registry, got null');
    expect(() => registerMetrics(source, { registry, prefix: null as never })).toThrow('registerMetrics(): prefix null is not a valid start of a metric name');
  });

  it('refuses a misspelt option with InvalidArgumentError instead of registering on the global registry under the default prefix', async () => {
    const { register } = await import('prom-client');
    const registry = new Registry();
    const source = { stats: () => fakeStats(0) };
    expect(() => registerMetrics(source, { registy: registry } as never)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: 'unknown registerMetrics option "registy" (did you mean "registry"?)' }),
    );
    expect(() => registerMetrics(source, { registry, prefx: 'orders_' } as never)).toThrow('unknown registerMetrics option "prefx" (did you mean "prefix"?)');
    expect(register.getSingleMetric('asynx_shards')).toBeUndefined();
    expect(await registry.metrics()).toBe('\n');
  });

  it('in OpenMetrics format, counters keep a single _total suffix', async () => {
    const registry = new Registry<OpenMetricsContentType>();
    registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
    registerMetrics({ stats: () => fakeStats(3) }, { registry });
    const text = await registry.metrics();
    expect(text).toContain('# TYPE asynx_events_published counter\n');
    expect(text).toContain('\nasynx_events_published_total 3\n');
    expect(text).not.toContain('_total_total');
    expect(text.endsWith('# EOF\n')).toBe(true);
  });

  it('uses prom-client’s global registry by default', async () => {
    const { register } = await import('prom-client');
    const metrics = registerMetrics({ stats: () => fakeStats(1) });
    try {
      expect(metrics.registry).toBe(register);
      expect(await register.metrics()).toContain('asynx_events_published_total 1');
    } finally {
      metrics.unregister();
    }
  });
});

describe('packaging', () => {
  it('is its own entry point, asynx-ts/prometheus; the main entry never loads prom-client', async () => {
    const { stdout } = await run(process.execPath, [
      '--input-type=module',
      '-e',
      "const m = await import('asynx-ts/prometheus'); console.log(typeof m.registerMetrics)",
    ]);
    expect(stdout.trim()).toBe('function');
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as {
      exports: Record<string, unknown>;
      peerDependencies: Record<string, string>;
      peerDependenciesMeta: Record<string, { optional?: boolean }>;
    };
    expect(pkg.exports['./prometheus']).toEqual({ types: './dist/src/prometheus.d.ts', default: './dist/src/prometheus.js' });
    expect(pkg.peerDependenciesMeta['prom-client']).toEqual({ optional: true });
    expect(pkg.peerDependencies['prom-client']).toBeDefined();
    const loaders = readdirSync('dist/src', { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('.js') && readFileSync(join('dist/src', file), 'utf8').includes("from 'prom-client'"));
    expect(loaders).toEqual(['prometheus.js']);
  });

  it('the example server refuses a port in use with one line and exit code 1, leaving no data directory behind', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as AddressInfo;
    const tmp = tempDir();
    try {
      const failed = await run(process.execPath, [join(process.cwd(), 'dist/examples/metrics-server.js'), String(port)], { env: { ...process.env, TMPDIR: tmp } }).catch(
        (error: { code: number; stdout: string; stderr: string }) => error,
      );
      expect(failed).toMatchObject({ code: 1, stdout: '', stderr: `cannot serve metrics on 127.0.0.1:${port}: listen EADDRINUSE: address already in use 127.0.0.1:${port}\n` });
      expect(readdirSync(tmp)).toEqual([]);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  it('the example server runs as a script: prints its URL and serves moving numbers', async () => {
    const child = spawn(process.execPath, [join(process.cwd(), 'dist/examples/metrics-server.js'), '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          const found = /metrics at (http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(out);
          if (found !== null) resolve(found[1]!);
        });
        child.once('exit', (code) => reject(new Error(`exited with ${code} before printing its URL: ${out}`)));
      });
      let committed = 0;
      for (let attempt = 0; attempt < 50 && committed < 3; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        committed = sum(await scrape(url), 'asynx_commands_committed_total');
      }
      expect(committed).toBeGreaterThanOrEqual(3);
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  });
});
