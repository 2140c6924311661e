/**
 * Subscription patterns: an exact event name, a glob, or a RegExp.
 *
 * In a glob, `*` matches one dot-free segment (`order.*.ORD-1`), and a `*`
 * at the very end matches the rest of the name (`Order*`, `order.*`).
 * Internal events (names starting `asynx.`) reach only patterns that name
 * them: a string pattern starting `asynx.` or a RegExp whose source mentions
 * `asynx`.
 */
import { InvalidArgumentError } from './errors.js';

export type EventPattern = string | RegExp;

export type EventMatcher = (eventName: string) => boolean;

const INTERNAL_PREFIX = 'asynx.';

function escapeRegExp(text: string): string {
  return text.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
}

export function compilePattern(pattern: unknown): EventMatcher {
  if (pattern instanceof RegExp) {
    // Global and sticky regexps keep lastIndex between test() calls, which
    // would make every other match fail; match with a stateless copy.
    const regexp = new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, ''));
    const namesInternal = pattern.source.includes('asynx');
    return (name) => (namesInternal || !name.startsWith(INTERNAL_PREFIX)) && regexp.test(name);
  }
  if (typeof pattern !== 'string') {
    throw new InvalidArgumentError(`a subscription pattern is an event name, a glob or a RegExp, got ${typeof pattern}`, {
      pattern: String(pattern),
    });
  }
  if (pattern.length === 0) throw new InvalidArgumentError('a subscription pattern cannot be empty');
  if (/\s/.test(pattern)) throw new InvalidArgumentError(`subscription pattern ${JSON.stringify(pattern)} contains whitespace`, { pattern });
  if (pattern.includes('**')) {
    throw new InvalidArgumentError(`subscription pattern ${JSON.stringify(pattern)}: use one "*" per segment, or a trailing "*" for the rest`, {
      pattern,
    });
  }
  const namesInternal = pattern.startsWith(INTERNAL_PREFIX);
  if (!pattern.includes('*')) return (name) => name === pattern;
  const trailing = pattern.endsWith('*');
  const body = trailing ? pattern.slice(0, -1) : pattern;
  const source = body.split('*').map(escapeRegExp).join('[^.]*') + (trailing ? '.*' : '');
  const regexp = new RegExp(`^${source}$`);
  return (name) => (namesInternal || !name.startsWith(INTERNAL_PREFIX)) && regexp.test(name);
}
