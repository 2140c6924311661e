import { ConfigError, open } from '../dist/src/index.js';
import { counterDomain } from '../dist/test/fixtures/counter-domain.js';
import { customerDomain, paymentDomain } from '../dist/test/fixtures/shop-domains.js';
import { useTempDirs } from './support/temp-dir.js';

const tempDir = useTempDirs();

/** A logger with pino's calling convention that records every call. */
function recordingLogger() {
  const lines: Array<{ level: string; fields: Record<string, unknown>; message: string }> = [];
  const method = (level: string) => (fields: Record<string, unknown>, message: string) => void lines.push({ level, fields, message });
  return { lines, logger: { info: method('info'), warn: method('warn'), error: method('error'), debug: method('debug') } };
}

describe('the logger hook', () => {
  it('logs start, crashes, handler failures and close to a pino-compatible logger', async () => {
    const { lines, logger } = recordingLogger();
    const engine = await open({ domain: counterDomain, dataDir: tempDir(), shards: 1, logger });
    engine.subscribe('Incremented', () => {
      throw new Error('projection down');
    }, { name: 'read-model' });
    await engine.send('Increment', { id: 'l', by: 1 });
    await engine.drain();
    await expect(engine.send('Misbehave', { id: 'l', how: 'exit-worker' })).rejects.toThrow();
    await engine.close();
    expect(lines.map((l) => [l.level, l.message])).toEqual([
      ['info', 'asynx engine started'],
      ['error', 'handler of subscription read-model failed on Incremented v1 of l'],
      ['warn', "shard 0 worker died; a new one starts with the shard's next operation"],
      ['info', 'asynx engine closed'],
    ]);
    expect(lines[1]!.fields).toMatchObject({ subscription: 'read-model', aggregateId: 'l', err: new Error('projection down') });
    expect(lines[2]!.fields).toMatchObject({ shard: 0, operations: 1 });
    expect(lines.map((l) => l.fields.aggregate)).toEqual(['Counter', 'Counter', 'Counter', 'Counter']);
  });

  it('names the aggregate in every line, so engines of several aggregates can share one logger', async () => {
    const { lines, logger } = recordingLogger();
    const customers = await open({ domain: customerDomain, dataDir: tempDir(), shards: 1, logger });
    const payments = await open({ domain: paymentDomain, dataDir: tempDir(), shards: 1, logger });
    customers.subscribe('CustomerRegistered', () => {
      throw new Error('mailer down');
    });
    await customers.send('Register', { id: 'c1', name: 'Ada' });
    await customers.drain();
    await payments.close();
    await customers.close();
    expect(lines.map((l) => [l.fields.aggregate, l.level, l.message])).toEqual([
      ['Customer', 'info', 'asynx engine started'],
      ['Payment', 'info', 'asynx engine started'],
      ['Customer', 'error', expect.stringMatching(/^handler of subscription .* failed on CustomerRegistered v1 of c1$/)],
      ['Payment', 'info', 'asynx engine closed'],
      ['Customer', 'info', 'asynx engine closed'],
    ]);
  });

  it('rejects an option that is not a logger', async () => {
    await expect(open({ domain: counterDomain, dataDir: tempDir(), logger: console.log } as never)).rejects.toBeInstanceOf(ConfigError);
    await expect(open({ domain: counterDomain, dataDir: tempDir(), logger: { info: () => undefined } } as never)).rejects.toThrow(
      /option logger must have info, warn and error methods/,
    );
  });
});
