import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { useTempDirs } from './support/temp-dir.js';

const run = promisify(execFile);
const tempDir = useTempDirs();
const script = join(process.cwd(), 'dist/examples/order/main.js');

describe('the order example (npm run example)', () => {
  it('prints the whole flow and exits 0', async () => {
    const { stdout } = await run(process.execPath, [script]);
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('=== Asynx E-Commerce Order Example ===');
    expect(stdout).toContain('Step 1: Setting up the engine (4 shards)...');
    expect(stdout).toContain('Step 2: Registering subscribers...');
    for (const id of ['ORD-001', 'ORD-002', 'ORD-003']) {
      for (const verb of ['created', 'confirmed', 'shipped']) expect(lines).toContain(`✓ Order ${id} ${verb}`);
      expect(lines).toContain(`[EVENT] OrderCreated - Order ${id}: (none) → Pending`);
      expect(lines).toContain(`[EVENT] OrderConfirmed - Order ${id}: Pending → Confirmed`);
      expect(lines).toContain(`[EVENT] OrderShipped - Order ${id}: Confirmed → Shipped`);
    }
    expect(stdout).toContain(
      '✗ ShipOrder ORD-001 rejected as expected: ValidationError [VALIDATION_FAILED] cannot ship order ORD-001: it is Pending, not Confirmed',
    );
    const step4 = stdout.slice(stdout.indexOf('Step 4'), stdout.indexOf('Step 5'));
    const states = [...step4.matchAll(/^ORD-00\d:\n(\{[\s\S]*?\n\})/gm)].map((m) => JSON.parse(m[1]!) as Record<string, unknown>);
    expect(states.map((s) => Object.keys(s))).toEqual(new Array(3).fill(['id', 'status', 'total', 'items', 'ship_to']));
    expect(states.map((s) => s.status)).toEqual(['Shipped', 'Shipped', 'Shipped']);
    const outbox = lines.filter((l) => /^\d+\. /.test(l));
    expect(outbox).toHaveLength(9);
    expect(outbox[0]).toBe('1. 📧 Confirmation email sent for order ORD-001');
    expect(outbox).toContain('5. 🎉 Order ORD-002 confirmed - warehouse notified');
    expect(outbox[8]).toBe('9. 📦 Order ORD-003 shipped - customer notified');
    expect(lines[lines.length - 1]).toBe('✅ Example completed successfully!');
  });

  it('keeps its data with --data DIR, and a second run shows the stored orders', async () => {
    const dataDir = join(tempDir(), 'orders');
    await run(process.execPath, [script, '--data', dataDir]);
    expect(existsSync(join(dataDir, 'asynx.json'))).toBe(true);
    const { stdout } = await run(process.execPath, [script, '--data', dataDir]);
    expect(stdout).toContain('already holds these orders');
    expect(stdout.match(/"status": "Shipped"/g)).toHaveLength(3);
    expect(stdout).toContain('✅ Example completed successfully!');
  });

  it('exits non-zero with a clear message for a bad --shards', async () => {
    await expect(run(process.execPath, [script, '--shards', 'many'])).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--shards must be a positive integer, got many'),
    });
  });
});
