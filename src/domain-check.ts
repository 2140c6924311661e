/**
 * Checks a domain definition's shape, on the main thread at `open` and again
 * in each worker after it imports the module, so that a malformed domain
 * fails at start with every problem named instead of on its first command.
 */
import { ConfigError } from './errors.js';
import { isDomain, type Domain } from './domain.js';

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
  for (const [from, upcaster] of Object.entries(domain.upcasters)) {
    const version = Number(from);
    if (!Number.isInteger(version) || version < 1 || version >= domain.schemaVersion) {
      problems.push(`upcasters[${from}]: keys are the schema versions upgraded from, 1..${domain.schemaVersion - 1}`);
    }
    if (typeof upcaster !== 'function') problems.push(`upcasters[${from}] must be a function`);
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
    if (typeof d.aggregateId !== 'function') problems.push(`commands.${name}.aggregateId must be a function (payload) => string`);
    if (typeof d.emit !== 'function') problems.push(`commands.${name}.emit must be a function (current, payload) => next state`);
    if (d.validate !== undefined && typeof d.validate !== 'function') problems.push(`commands.${name}.validate must be a function`);
    if (d.snapshot !== undefined && typeof d.snapshot !== 'boolean') problems.push(`commands.${name}.snapshot must be a boolean`);
  }
  return problems;
}

/** Throws a `ConfigError` listing every problem of the domain, if any. */
export function assertDomain(value: unknown, where: string): Domain<object, object> {
  if (!isDomain(value)) {
    throw new ConfigError(`${where} is not a domain created with defineDomain()`);
  }
  const problems = domainProblems(value);
  if (problems.length > 0) {
    throw new ConfigError(`domain ${String(value.aggregate)} is malformed: ${problems.join('; ')}`, { problems });
  }
  return value;
}

/**
 * Imports a domain module and returns its domain for `aggregate`: the
 * module's one domain export when `aggregate` is omitted.
 */
export async function importDomain(url: string, aggregate?: string): Promise<Domain<object, object>> {
  let module: Record<string, unknown>;
  try {
    module = (await import(url)) as Record<string, unknown>;
  } catch (thrown) {
    const message = thrown instanceof Error ? thrown.message : String(thrown);
    throw new ConfigError(`cannot import domain module ${url}: ${message}`, { url });
  }
  const domains = Object.values(module).filter(isDomain);
  const unique = [...new Set(domains)];
  const matching = aggregate === undefined ? unique : unique.filter((d) => d.aggregate === aggregate);
  if (matching.length === 1) return assertDomain(matching[0], `domain module ${url}`);
  if (matching.length === 0) {
    const found = unique.map((d) => d.aggregate).join(', ') || 'none';
    throw new ConfigError(
      `domain module ${url} exports no domain${aggregate === undefined ? '' : ` for aggregate ${aggregate}`} (found: ${found})`,
      { url },
    );
  }
  throw new ConfigError(`domain module ${url} exports several domains; name the aggregate to use`, { url });
}
