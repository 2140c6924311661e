/**
 * A value as an error message shows it ("got NaN", "got a function"). JSON
 * would describe NaN and Infinity as null and drop undefined fields, so
 * messages about them pointed at the wrong thing.
 */
import { inspect } from 'node:util';

/** Longest description; a huge object is cut rather than copied into a message. */
const MAX_LENGTH = 200;

export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return 'a function';
  let text: string;
  try {
    // inspect reads neither getters nor proxy traps, so describing a hostile object cannot throw from user code.
    text = inspect(value, { depth: 2, breakLength: Infinity, maxArrayLength: 10, maxStringLength: MAX_LENGTH });
  } catch {
    text = Object.prototype.toString.call(value);
  }
  return text.length > MAX_LENGTH ? `${text.slice(0, MAX_LENGTH)}…` : text;
}
