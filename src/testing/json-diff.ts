/**
 * A readable list of differences between two JSON values, for assertion
 * messages that name each differing path instead of dumping both values
 * whole.
 */
import type { JsonValue } from '../json.js';
import { isJsonObject, jsonEqual } from '../json-equal.js';

export { jsonEqual };

/** The most differences listed in one message; the rest are counted. */
const MAX_LISTED = 12;
/** Longest rendering of one value inside a message. */
const MAX_VALUE_CHARS = 120;

/** `value` as compact JSON, shortened to a readable length. */
export function renderJson(value: JsonValue | undefined): string {
  if (value === undefined) return 'undefined';
  const text = JSON.stringify(value);
  return text.length <= MAX_VALUE_CHARS ? text : `${text.slice(0, MAX_VALUE_CHARS - 1)}…`;
}

function childPath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

function collect(expected: JsonValue, actual: JsonValue, path: string, out: string[]): void {
  if (jsonEqual(expected, actual)) return;
  if (Array.isArray(expected) && Array.isArray(actual)) {
    if (expected.length !== actual.length) out.push(`${path}: expected ${expected.length} items, got ${actual.length}`);
    const shared = Math.min(expected.length, actual.length);
    for (let i = 0; i < shared; i++) collect(expected[i]!, actual[i]!, childPath(path, i), out);
    for (let i = shared; i < expected.length; i++) out.push(`${childPath(path, i)}: missing (expected ${renderJson(expected[i])})`);
    for (let i = shared; i < actual.length; i++) out.push(`${childPath(path, i)}: not expected, got ${renderJson(actual[i])}`);
    return;
  }
  if (isJsonObject(expected) && isJsonObject(actual)) {
    for (const key of Object.keys(expected)) {
      if (!Object.hasOwn(actual, key)) out.push(`${childPath(path, key)}: missing (expected ${renderJson(expected[key])})`);
      else collect(expected[key]!, actual[key]!, childPath(path, key), out);
    }
    for (const key of Object.keys(actual)) {
      if (!Object.hasOwn(expected, key)) out.push(`${childPath(path, key)}: not expected, got ${renderJson(actual[key])}`);
    }
    return;
  }
  out.push(`${path}: expected ${renderJson(expected)}, got ${renderJson(actual)}`);
}

/**
 * One line per differing path, `state.items[0].sku: expected "A", got "B"`,
 * at most a dozen and then a count of the rest. Empty when equal.
 */
export function jsonDifferences(expected: JsonValue, actual: JsonValue, root = 'state'): string[] {
  const out: string[] = [];
  collect(expected, actual, root, out);
  if (out.length <= MAX_LISTED) return out;
  return [...out.slice(0, MAX_LISTED), `… and ${out.length - MAX_LISTED} more differences`];
}
