/**
 * What `open()` (or a shard's restart) rejects with when a shard worker does
 * not start: a `ConfigError`, like a domain module that throws as it loads,
 * since only the domain module (or the worker's resource limits) can end or
 * stall a worker at that point. It names the shard, the module and what
 * happened: the exit code, or the time limit the import ran past.
 */
import { ConfigError, describeThrown } from './errors.js';

/** piscina gives a worker's exit code only in its message ("worker exited with code: N"). */
function exitCodeOf(message: string): number | undefined {
  const match = /worker exited with code: (-?\d+)/.exec(message);
  return match === null ? undefined : Number(match[1]);
}

/** The worker died (exited, ran out of memory) while importing the domain module or, after that, opening its shard file. */
export function workerDiedStarting(shard: number, domainUrl: string, phase: 'importing' | 'opening', thrown: unknown): ConfigError {
  const { message } = describeThrown(thrown);
  const exitCode = exitCodeOf(message);
  const what = exitCode === undefined ? `died (${message})` : `exited with code ${exitCode}`;
  const when =
    phase === 'importing'
      ? `while starting (importing domain module ${domainUrl}): a domain module must not end its worker`
      : `while starting (opening its shard file, after importing domain module ${domainUrl})`;
  return new ConfigError(`shard ${shard} worker ${what} ${when}`, {
    shard,
    domainUrl,
    ...(exitCode === undefined ? { cause: message } : { exitCode }),
  });
}

/** The domain module's import ran past `importTimeoutMs` (a top-level await that never settles, an endless loop). */
export function importTimedOut(shard: number, domainUrl: string, timeoutMs: number): ConfigError {
  return new ConfigError(
    `shard ${shard} worker did not finish importing domain module ${domainUrl} within importTimeoutMs (${timeoutMs} ms), so it was stopped: ` +
      'does the module wait for something that never comes, or loop, at its top level?',
    { shard, domainUrl, option: 'importTimeoutMs', timeoutMs },
  );
}
