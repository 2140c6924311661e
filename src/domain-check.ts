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
  throw new ConfigError(`domain module ${url} exports several domains; name the aggregate to use`, { url });
}
