/**
 * Checks a domain given to `open`, and finds and checks the domain a worker
 * imports from its module. `defineDomain` already refuses a malformed
 * definition; these checks cover objects that did not come from it.
 */
import { ConfigError } from './errors.js';
import { isDomain, type Domain } from './domain.js';
import { domainProblems, malformedDomain } from './domain-problems.js';

/** Throws a `ConfigError` listing every problem of the domain, if any. */
export function assertDomain(value: unknown, where: string): Domain<object, object> {
  if (!isDomain(value)) {
    throw new ConfigError(`${where} is not a domain created with defineDomain()`);
  }
  const problems = domainProblems(value);
  if (problems.length > 0) {
    throw malformedDomain(value.aggregate, problems);
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
  // Given by path, open() has no way to name the aggregate: the caller must pass the domain object instead.
  if (aggregate === undefined) {
    const aggregates = matching.map((d) => d.aggregate).join(', ');
    throw new ConfigError(
      `domain module ${url} exports several domains (${aggregates}); pass the one to open as the domain option: the object defineDomain returned`,
      { url },
    );
  }
  throw new ConfigError(`domain module ${url} exports several domains for aggregate ${aggregate}; define each aggregate once per module`, { url });
}

/** How `found` differs from `given` in what routing, typing and the workers rely on: schema version and commands. */
function domainDifferences(given: Domain<object, object>, found: Domain<object, object>): string[] {
  const differences: string[] = [];
  if (given.schemaVersion !== found.schemaVersion) differences.push(`schemaVersion ${found.schemaVersion} instead of ${given.schemaVersion}`);
  const commands = (domain: Domain<object, object>): Record<string, { event?: unknown; snapshot?: unknown }> =>
    domain.commands as Record<string, { event?: unknown; snapshot?: unknown }>;
  const mine = commands(given);
  const theirs = commands(found);
  for (const name of Object.keys(mine)) {
    const other = theirs[name];
    if (other === undefined) differences.push(`no command ${name}`);
    else if (other.event !== mine[name]!.event) differences.push(`${name} emits ${String(other.event)} instead of ${String(mine[name]!.event)}`);
    else if (Boolean(other.snapshot) !== Boolean(mine[name]!.snapshot)) differences.push(`${name} ${other.snapshot === true ? 'takes' : 'takes no'} snapshot`);
  }
  for (const name of Object.keys(theirs)) if (!(name in mine)) differences.push(`an extra command ${name}`);
  return differences;
}

/**
 * Checks that the module at the domain's `url` defines this domain: the
 * workers import that module and run its validate and emit, so a `url`
 * naming another module would run other rules than the ones the main thread
 * routes and types commands by. The same object passes at once; a copy of
 * it loaded under another URL (say the compiled JavaScript of a module the
 * main thread runs as TypeScript) passes when its schema version and
 * commands (names, events, snapshot flags) are the same.
 */
export async function assertDefinedAtUrl(domain: Domain<object, object>): Promise<void> {
  const found = await importDomain(domain.url, domain.aggregate);
  if (found === domain) return;
  const differences = domainDifferences(domain, found);
  if (differences.length === 0) return;
  throw new ConfigError(
    `domain ${domain.aggregate}: the module at its url ${domain.url} defines another ${domain.aggregate} domain (${differences.join('; ')}); give defineDomain the module's own import.meta.url`,
    { url: domain.url, differences },
  );
}
