/**
 * The package as a user installs it: a project of their own, with asynx-ts
 * in its node_modules, in a directory whose path has spaces and non-ASCII
 * characters.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { useTempDirs } from './support/temp-dir.js';

const run = promisify(execFile);
const tempDir = useTempDirs();

/** A CommonJS project of its own, with this package installed (linked) under its name. */
function commonJsProject(): string {
  const project = join(tempDir(), 'my app ü 日本 #1');
  mkdirSync(join(project, 'node_modules'), { recursive: true });
  symlinkSync(process.cwd(), join(project, 'node_modules', 'asynx-ts'), 'dir');
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'my-app', private: true, type: 'commonjs' }));
  return project;
}

const COMMONJS_DOMAIN = `
const { pathToFileURL } = require('node:url');
const { ValidationError, defineDomain } = require('asynx-ts');
exports.tallyDomain = defineDomain({
  url: pathToFileURL(__filename).href,
  aggregate: 'Tally',
  commands: {
    Add: {
      event: 'Added',
      aggregateId: (p) => p.id,
      validate(current, p) {
        if (!(p.by > 0)) throw new ValidationError('tally ' + p.id + ': by must be greater than 0', { field: 'by' });
      },
      emit: (current, p) => ({ count: (current ? current.count : 0) + p.by }),
    },
  },
});
`;

const COMMONJS_MAIN = `
const { join } = require('node:path');
let asynx;
try {
  asynx = require('asynx-ts');
} catch (error) {
  console.log(JSON.stringify({ canRequireEsm: process.features.require_module === true, requireFailed: error.code }));
  process.exit(0);
}
const { given } = require('asynx-ts/testing');
const { registerMetrics } = require('asynx-ts/prometheus');
const { tallyDomain } = require('./tally.cjs');
(async () => {
  given(tallyDomain).when('Add', { id: 't', by: 2 }).then({ count: 2 });
  const engine = await asynx.open({ domain: tallyDomain, dataDir: join(__dirname, 'data'), shards: 1 });
  await engine.send('Add', { id: 't', by: 2 });
  await engine.send('Add', { id: 't', by: 3 });
  const rejected = await engine.send('Add', { id: 't', by: 0 }).catch((error) => error);
  const state = await engine.get('t');
  await engine.close();
  console.log(JSON.stringify({ canRequireEsm: process.features.require_module === true, state, rejected: rejected instanceof asynx.ValidationError && rejected.code, metrics: typeof registerMetrics }));
})().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
`;

describe('the installed package', () => {
  it('loads with require() where Node can require ES modules, and otherwise fails with the standard ERR_REQUIRE_ESM', async () => {
    const project = commonJsProject();
    writeFileSync(join(project, 'tally.cjs'), COMMONJS_DOMAIN);
    writeFileSync(join(project, 'main.cjs'), COMMONJS_MAIN);
    const { stdout } = await run(process.execPath, ['main.cjs'], { cwd: project, timeout: 30_000 });
    // Node 20.19 and later require() ES modules (without top-level await); earlier releases refuse them.
    const result = JSON.parse(stdout) as { canRequireEsm: boolean };
    expect(result).toEqual(
      result.canRequireEsm
        ? { canRequireEsm: true, state: { count: 5 }, rejected: 'VALIDATION_FAILED', metrics: 'function' }
        : { canRequireEsm: false, requireFailed: 'ERR_REQUIRE_ESM' },
    );
  });
});
