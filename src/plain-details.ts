/**
 * Error details as plain data, for the wire between a shard and the main
 * thread. Details come from user code (a domain's `ValidationError`, an
 * upcaster's error), and the reply that carries them is posted with
 * structured clone: one function, symbol or overly deep value in them makes
 * the post fail, which takes the worker down with every operation of its
 * batch, committed ones included. So every part that is not plain data is
 * replaced by a description, and everything else is kept.
 */
import type { ErrorDetails } from './errors.js';

/**
 * Nesting kept in details; deeper parts are described. Details are meant to
 * be a few fields, and this keeps the copy far from any stack limit.
 */
const MAX_DETAILS_DEPTH = 32;

/** `details` with every part that is not plain data replaced by a description of it. */
export function plainDetails(details: ErrorDetails | undefined): ErrorDetails | undefined {
  if (details === undefined) return undefined;
  const plain = toPlain(details, 0, []);
  // A JavaScript caller may have passed something other than an object as details.
  return typeof plain === 'object' && plain !== null && !Array.isArray(plain) ? (plain as ErrorDetails) : { value: plain };
}

function toPlain(value: unknown, depth: number, ancestors: object[]): unknown {
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
    case 'bigint':
    case 'undefined':
      return value;
    case 'function':
      return `[function ${value.name === '' ? '(anonymous)' : value.name}]`;
    case 'symbol':
      return `[${value.toString()}]`;
    default:
      if (value === null) return null;
      try {
        return objectToPlain(value as object, depth, ancestors);
      } catch {
        // A proxy or getter of the user's threw while it was read.
        return '[unreadable value]';
      }
  }
}

function objectToPlain(value: object, depth: number, ancestors: object[]): unknown {
  if (ancestors.includes(value)) return '[cycle: refers back to an enclosing object]';
  if (depth >= MAX_DETAILS_DEPTH) return `[nested deeper than ${MAX_DETAILS_DEPTH} levels]`;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
  if (value instanceof Error) return `[${value.name}: ${value.message}]`;
  ancestors.push(value);
  let result: unknown;
  if (Array.isArray(value)) {
    result = Array.from(value, (item) => toPlain(item, depth + 1, ancestors));
  } else {
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto === Object.prototype || proto === null) {
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(value)) {
        const plain = toPlain((value as Record<string, unknown>)[key], depth + 1, ancestors);
        // Assigning `__proto__` would set the copy's prototype instead of a field.
        if (key === '__proto__') Object.defineProperty(out, key, { value: plain, enumerable: true, writable: true, configurable: true });
        else out[key] = plain;
      }
      result = out;
    } else {
      const ctor: unknown = (proto as { constructor?: unknown }).constructor;
      result = `[object ${typeof ctor === 'function' && ctor.name !== '' ? ctor.name : 'of a class'}]`;
    }
  }
  ancestors.pop();
  return result;
}
