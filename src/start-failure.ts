/**
 * What `open()` (or a shard's restart) rejects with when a shard worker dies
 * before its start-up finished: a `ConfigError`, like a domain module that
 * throws as it loads, since only the domain module (or the worker's
 * resource limits) can end a worker at that point. It names the shard, the
 * module and the exit code.
 */
import { ConfigError, describeThrown } from './errors.js';

/** piscina gives a worker's exit code only in its message ("worker exited with code: N"). */
function exitCodeOf(message: string): number | undefined {
  const match = /worker exited with code: (-?\d+)/.exec(message);
  return match === null ? undefined : Number(match[1]);
}

export function workerDiedStarting(shard: number, domainUrl: string, thrown: unknown): ConfigError {
  const { message } = describeThrown(thrown);
  const exitCode = exitCodeOf(message);
  const what = exitCode === undefined ? `died (${message})` : `exited with code ${exitCode}`;
  return new ConfigError(
    `shard ${shard} worker ${what} while starting (importing domain module ${domainUrl}, then opening its shard file): a domain module must not end its worker`,
    { shard, domainUrl, ...(exitCode === undefined ? { cause: message } : { exitCode }) },
  );
}
