/**
 * What an upcaster returned, checked for the shape of an RFC 6902 patch
 * before it is applied: an upcaster that returns something else is the
 * upcaster's bug, and the applier's own complaint ("patch is not iterable")
 * would blame the stored patch instead.
 */
import type { PatchOperation } from '../domain.js';
import { describeValue } from '../describe-value.js';

const OPERATIONS: ReadonlySet<string> = new Set<PatchOperation['op']>(['add', 'remove', 'replace', 'move', 'copy', 'test']);
const WITH_VALUE: ReadonlySet<string> = new Set<PatchOperation['op']>(['add', 'replace', 'test']);
const WITH_FROM: ReadonlySet<string> = new Set<PatchOperation['op']>(['move', 'copy']);

/** What an upcaster returned instead of a patch; the message says what is wrong where. */
export class NotAPatchError extends Error {}

/** Why `patch` (JSON data) is not an array of RFC 6902 operations, naming the place; `undefined` when it is one. */
export function patchShapeProblem(patch: unknown): string | undefined {
  if (!Array.isArray(patch)) return `its patch is ${describeValue(patch)}, not an array`;
  for (let i = 0; i < patch.length; i++) {
    const op: unknown = patch[i];
    if (typeof op !== 'object' || op === null || Array.isArray(op)) return `its patch[${i}] is ${describeValue(op)}, not an operation object`;
    const { op: name, path, from } = op as Record<string, unknown>;
    if (typeof name !== 'string' || !OPERATIONS.has(name)) {
      return `its patch[${i}].op is ${describeValue(name)}, not one of ${[...OPERATIONS].join(', ')}`;
    }
    if (typeof path !== 'string') return `its patch[${i}] (${name}) has path ${describeValue(path)}, not a JSON pointer string`;
    if (WITH_VALUE.has(name) && !Object.hasOwn(op, 'value')) return `its patch[${i}] (${name} ${path}) has no value`;
    if (WITH_FROM.has(name) && typeof from !== 'string') return `its patch[${i}] (${name} ${path}) has from ${describeValue(from)}, not a JSON pointer string`;
  }
  return undefined;
}
