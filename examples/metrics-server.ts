/**
 * Serves the engine's metrics for Prometheus at `/metrics`, over node:http
 * on 127.0.0.1, while a trickle of orders keeps the numbers moving:
 *
 *   node dist/examples/metrics-server.js [port]     (port 0 or none: a free one)
 *
 * `serveMetrics` is the part to copy: any prom-client registry, one route.
 */
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Registry, type RegistryContentType } from 'prom-client';
import { open } from '../src/index.js';
import { registerMetrics } from '../src/prometheus.js';
import { orderDomain } from './order/domain.js';

export interface MetricsServer {
  /** `http://127.0.0.1:<port>/metrics` */
  readonly url: string;
  close(): Promise<void>;
}

/** Serves `registry` at `GET /metrics` on `host:port` (port 0: any free port). */
export async function serveMetrics(registry: Registry<RegistryContentType>, options: { port?: number; host?: string } = {}): Promise<MetricsServer> {
  const host = options.host ?? '127.0.0.1';
  const server = createServer((request, response) => {
    if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try GET /metrics\n');
      return;
    }
    registry.metrics().then(
      (text) => response.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (error: unknown) => response.writeHead(500, { 'content-type': 'text/plain' }).end(`${String(error)}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}/metrics`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error === undefined ? resolve() : reject(error)));
        server.closeAllConnections();
      }),
  };
}

async function main(): Promise<void> {
  const arg = process.argv[2] ?? '0';
  const port = Number(arg);
  if (!/^\d+$/.test(arg) || port > 65535) {
    console.error(`usage: node dist/examples/metrics-server.js [port]  (got ${arg})`);
    process.exitCode = 2;
    return;
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'asynx-metrics-'));
  const engine = await open({ domain: orderDomain, dataDir, shards: 2 });
  const registry = new Registry();
  registerMetrics(engine, { registry });
  engine.subscribe('Order*', () => undefined, { name: 'reporter' });
  let server: MetricsServer;
  try {
    server = await serveMetrics(registry, { port });
  } catch (error) {
    // A port in use or not ours to take: one line, and no engine or data left behind.
    await engine.close();
    rmSync(dataDir, { recursive: true, force: true });
    console.error(`cannot serve metrics on 127.0.0.1:${port}: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
    return;
  }
  console.log(`metrics at ${server.url}`);

  // Some traffic: one order through its life every 200 ms, and a command the domain rejects.
  let n = 0;
  let stopping = false;
  const timer = setInterval(() => {
    const id = `ORD-${++n}`;
    void (async () => {
      await engine.send('CreateOrder', { id, total: 10 + n, items: 1, shipTo: 'somewhere' });
      await engine.send('ShipOrder', { id }).catch(() => undefined); // rejected: not confirmed yet
      await engine.send('ConfirmOrder', { id });
      await engine.send('ShipOrder', { id });
    })().catch((error: unknown) => {
      if (!stopping) console.error(error);
    });
  }, 200);

  const stop = async (): Promise<void> => {
    stopping = true;
    clearInterval(timer);
    await server.close();
    await engine.close();
    rmSync(dataDir, { recursive: true, force: true });
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

const invokedAs = process.argv[1];
if (invokedAs !== undefined && import.meta.url === pathToFileURL(realpathSync(invokedAs)).href) await main();
