/**
 * The digest stored with a command's `commandId`: it tells an idempotent
 * retry (same type and payload) from a conflicting reuse of the same ID.
 * Object keys are sorted first, so key order does not matter.
 */
import { createHash } from 'node:crypto';
import type { JsonValue } from '../json.js';

function canonical(value: JsonValue): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonical(value[key]!)}`).join(',')}}`;
}

export function commandDigest(type: string, payload: JsonValue): string {
  return createHash('sha256').update(type).update('\n').update(canonical(payload)).digest('base64url');
}
