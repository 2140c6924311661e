/**
 * The package as a user installs it: the files `npm pack` puts in it, and a
 * project of the user's own with asynx-ts in its node_modules, in a directory
 * whose path has spaces and non-ASCII characters.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
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

interface PackageJson {
  main: string;
  types: string;
  bin: Record<string, string>;
  exports: Record<string, string | Record<string, string>>;
  typesVersions: Record<string, Record<string, string[]>>;
}

/** The paths `npm pack` would put in the tarball, from the current build (no scripts run). */
async function packedFiles(): Promise<string[]> {
  const { stdout } = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { timeout: 30_000 });
  const [packed] = JSON.parse(stdout) as [{ files: { path: string }[] }];
  return packed.files.map((file) => file.path);
}

/** The files a source map names, as package paths. */
function mapSources(mapPath: string): string[] {
  const map = JSON.parse(readFileSync(mapPath, 'utf8')) as { sourceRoot?: string; sources: string[] };
  return map.sources.map((source) => posix.normalize(posix.join(dirname(mapPath), map.sourceRoot ?? '', source)));
}

describe('the packed file list', () => {
  it('holds every file package.json points at, the worker entry, README and LICENSE, and no tests', async () => {
    const files = new Set(await packedFiles());
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as PackageJson;
    const targets = Object.values(pkg.exports).flatMap((target) => (typeof target === 'string' ? [target] : Object.values(target)));
    const typings = Object.values(pkg.typesVersions).flatMap((paths) => Object.values(paths).flat());
    const pointedAt = [pkg.main, pkg.types, ...Object.values(pkg.bin), ...targets, ...typings, './dist/workers/shard.js'].map((path) => posix.normalize(path));
    expect(pointedAt.filter((path) => !files.has(path))).toEqual([]);
    expect(['README.md', 'LICENSE'].filter((path) => !files.has(path))).toEqual([]);
    expect([...files].filter((path) => path.startsWith('test/') || path.startsWith('dist/test/'))).toEqual([]);
  });

  it('ships no source map that names a file the package does not hold', async () => {
    const files = await packedFiles();
    const dangling = files.filter((path) => path.endsWith('.map')).flatMap((path) => mapSources(path).filter((source) => !files.includes(source)));
    expect(dangling).toEqual([]);
  });
});

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

  it.each([
    ['node10', 'commonjs', 'commonjs', 'main.ts'],
    ['node16', 'node16', 'module', 'main.mts'],
    ['bundler', 'esnext', 'module', 'main.ts'],
  ])('gives TypeScript the types of every entry point with moduleResolution %s', async (moduleResolution, module, type, file) => {
    const project = commonJsProject();
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'my-app', private: true, type }));
    symlinkSync(join(process.cwd(), 'node_modules', '@types'), join(project, 'node_modules', '@types'), 'dir');
    const compilerOptions = { strict: true, noEmit: true, skipLibCheck: true, types: ['node'], moduleResolution, module, target: 'es2022' };
    writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: [file] }));
    // Each misuse must be an error: were an entry point's types missing, its imports would be `any` and these lines unused.
    writeFileSync(
      join(project, file),
      `import { open } from 'asynx-ts';
import { given } from 'asynx-ts/testing';
import { registerMetrics } from 'asynx-ts/prometheus';
// @ts-expect-error open takes an options object
void open(42);
// @ts-expect-error given takes a domain
given(42);
// @ts-expect-error registerMetrics takes an engine
registerMetrics(42);
`,
    );
    const tsc = join(process.cwd(), 'node_modules', 'typescript', 'bin', 'tsc');
    const compiled = await run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: project, timeout: 60_000 }).then(
      () => 'no errors',
      (failure: { stdout: string }) => failure.stdout,
    );
    expect(compiled).toBe('no errors');
  });
});
