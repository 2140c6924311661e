/**
 * `asynx bench`: forwards its arguments unchanged to the benchmark runner
 * (`node dist/bench/run.js`, relative to the package root) with the
 * terminal attached, and exits with the runner's exit code.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CliError } from './inspect.js';

/** The package root: this file is dist/src/cli/bench.js. */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Runs the benchmark runner with `args`; resolves with its exit code. */
export function runBench(args: readonly string[]): Promise<number> {
  const runner = join(PACKAGE_ROOT, 'dist', 'bench', 'run.js');
  if (!existsSync(runner)) {
    throw new CliError(`the benchmark runner is not built (${runner} is missing); run npm run build in a checkout of asynx-ts`);
  }
  return new Promise((resolve, reject) => {
    // The runner reads this to name `asynx bench` in its usage and in RESULTS.md (bench/run.ts).
    const env = { ...process.env, ASYNX_BENCH_VIA_CLI: '1' };
    const child = spawn(process.execPath, [runner, ...args], { cwd: PACKAGE_ROOT, stdio: 'inherit', env });
    // Ctrl-C reaches the runner too (same process group): wait for it to finish instead of dying first.
    const ignore = (): void => undefined;
    process.on('SIGINT', ignore);
    child.on('error', (error) => {
      process.off('SIGINT', ignore);
      reject(error);
    });
    child.on('exit', (code, signal) => {
      process.off('SIGINT', ignore);
      resolve(code ?? 128 + (signal === null ? 0 : constants.signals[signal]));
    });
  });
}
