/**
 * What is wrong with a domain definition, as a list of sentences naming each
 * field. `defineDomain` throws on any of them, and `open` and each worker
 * check again, since a domain object can also arrive from elsewhere.
 */
import type { Domain } from './domain.js';
import { ConfigError } from './errors.js';

/** Lists what is wrong with a domain definition; empty when it is usable. */
export function domainProblems(domain: Domain<object, object>): string[] {
  const problems: string[] = [];
  try {
    const url = new URL(domain.url);
    if (url.protocol !== 'file:') problems.push(`url must be a file: URL (pass import.meta.url), got ${domain.url}`);
  } catch {
    problems.push(`url must be the module's own URL (pass import.meta.url), got ${JSON.stringify(domain.url)}`);
  }
  if (typeof domain.aggregate !== 'string' || domain.aggregate.length === 0) {
    problems.push('aggregate must be a non-empty string naming the aggregate type');
  }
  if (!Number.isInteger(domain.schemaVersion) || domain.schemaVersion < 1) {
    problems.push(`schemaVersion must be an integer >= 1, got ${String(domain.schemaVersion)}`);
  }
  if (typeof domain.upcasters !== 'object' || domain.upcasters === null) {
    problems.push('upcasters must be an object of functions keyed by the schema version they upgrade from');
  }
  for (const [from, upcaster] of Object.entries(domain.upcasters ?? {})) {
    const version = Number(from);
    if (!Number.isInteger(version) || version < 1 || version >= domain.schemaVersion) {
      problems.push(`upcasters[${from}]: keys are the schema versions upgraded from, 1..${domain.schemaVersion - 1}`);
    }
    if (typeof upcaster !== 'function') problems.push(`upcasters[${from}] must be a function`);
    else if (isAsync(upcaster)) problems.push(`upcasters[${from}] is an async function; it must return the rewritten patch synchronously`);
  }
  const commands = domain.commands as Record<string, unknown>;
  if (typeof commands !== 'object' || commands === null || Object.keys(commands).length === 0) {
    problems.push('commands must define at least one command');
    return problems;
  }
  for (const [name, definition] of Object.entries(commands)) {
    if (typeof definition !== 'object' || definition === null) {
      problems.push(`commands.${name} must be an object`);
      continue;
    }
    const d = definition as Record<string, unknown>;
    if (typeof d.event !== 'string' || d.event.length === 0) problems.push(`commands.${name}.event must be a non-empty event name`);
    else if (d.event.startsWith('asynx.')) problems.push(`commands.${name}.event: names starting with "asynx." are reserved`);
    // Stored in a TEXT column, which would turn a lone surrogate into U+FFFD.
    else if (!(d.event as string & { isWellFormed(): boolean }).isWellFormed()) {
      problems.push(`commands.${name}.event has a lone UTF-16 surrogate; event names must be well-formed Unicode`);
    }
    if (typeof d.aggregateId !== 'function') problems.push(`commands.${name}.aggregateId must be a function (payload) => string`);
    if (typeof d.emit !== 'function') problems.push(`commands.${name}.emit must be a function (current, payload) => next state`);
    if (d.validate !== undefined && typeof d.validate !== 'function') problems.push(`commands.${name}.validate must be a function`);
    if (d.snapshot !== undefined && typeof d.snapshot !== 'boolean') problems.push(`commands.${name}.snapshot must be a boolean`);
    for (const part of ['aggregateId', 'validate', 'emit'] as const) {
      if (isAsync(d[part])) problems.push(`commands.${name}.${part} is an async function; ${SYNCHRONOUS}`);
    }
  }
  return problems;
}

/** Why domain functions may not be async: nothing would wait for them. */
export const SYNCHRONOUS =
  'domain logic runs synchronously in the shard, which does not wait for promises: validate throws to refuse, emit returns the next state';

/**
 * An `async` function (or async generator): TypeScript accepts one where a
 * function returning `void` is expected, and the shard would ignore the
 * promise, so a refusal thrown in an async `validate` would pass unnoticed.
 */
function isAsync(value: unknown): boolean {
  return typeof value === 'function' && /^Async(Generator)?Function$/.test(Object.prototype.toString.call(value).slice(8, -1));
}

/** The error for a malformed domain: every problem in the message, and as `details.problems`. */
export function malformedDomain(aggregate: unknown, problems: readonly string[]): ConfigError {
  return new ConfigError(`domain ${String(aggregate)} is malformed: ${problems.join('; ')}`, { problems: [...problems] });
}
