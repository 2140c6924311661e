/**
 * RFC 6902 patches between consecutive states: diffs via fast-json-patch,
 * applied by apply-patch.ts. Only the patch is stored; replaying the patches
 * from `{}` rebuilds every state.
 */
import jsonPatch from 'fast-json-patch';
import type { PatchOperation } from '../domain.js';
import type { JsonObject } from '../json.js';

const { compare, deepClone } = jsonPatch;

/** The patch that turns `previous` (or `{}` for a new aggregate) into `next`. */
export function diffStates(previous: JsonObject | undefined, next: JsonObject): PatchOperation[] {
  return compare(previous ?? {}, next) as PatchOperation[];
}

/** A key as a JSON pointer token (RFC 6901), as fast-json-patch writes it. */
function pointerToken(key: string): string {
  return key.includes('~') || key.includes('/') ? key.replace(/~/g, '~0').replace(/\//g, '~1') : key;
}

/**
 * The JSON text of {@link diffStates}`(previous, next)`, exactly as
 * `JSON.stringify` writes it, for a canonical `next` (no `undefined`). A new
 * aggregate's patch (one `add` per field) is written straight from the
 * state, and other patches op by op: `JSON.stringify` of the op objects
 * cost a shard about 0.3 µs per op more (2.4 against 1.3 µs for a new
 * order's five fields).
 */
export function patchText(previous: JsonObject | undefined, next: JsonObject): string {
  let text = '[';
  if (previous === undefined) {
    // Object.keys, as the diff uses: never a key inherited from a tampered prototype.
    for (const key of Object.keys(next)) {
      if (text.length > 1) text += ',';
      text += `{"op":"add","path":${JSON.stringify(`/${pointerToken(key)}`)},"value":${JSON.stringify(next[key])}}`;
    }
    return `${text}]`;
  }
  const patch = diffStates(previous, next);
  for (let i = 0; i < patch.length; i++) {
    const op = patch[i]!;
    if (i > 0) text += ',';
    // diff produces add, remove and replace only; `from` belongs to move and copy.
    text += `{"op":"${op.op}","path":${JSON.stringify(op.path)}`;
    if (op.op !== 'remove') text += `,"value":${JSON.stringify(op.value)}`;
    text += '}';
  }
  return `${text}]`;
}

/** A private, mutable deep copy of a (possibly frozen) state. */
export function mutableCopy(state: JsonObject): JsonObject {
  return deepClone(state) as JsonObject;
}

export { PatchApplyError, applyInPlace, applyShared } from './apply-patch.js';
