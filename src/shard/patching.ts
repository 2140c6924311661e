/**
 * RFC 6902 patches between consecutive states, via fast-json-patch. Only the
 * patch is stored; replaying the patches from `{}` rebuilds every state.
 */
import jsonPatch from 'fast-json-patch';
import type { Operation } from 'fast-json-patch';
import type { PatchOperation } from '../domain.js';
import type { JsonObject, JsonValue } from '../json.js';

const { compare, applyPatch, deepClone } = jsonPatch;

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

/**
 * Applies `patch` to `state` in place and returns the result. The caller owns
 * `state`: it must be a private, unfrozen copy.
 */
export function applyInPlace(state: JsonObject, patch: readonly PatchOperation[]): JsonObject {
  return applyPatch(state, patch as Operation[], false, true).newDocument;
}

/** A private, mutable deep copy of a (possibly frozen) state. */
export function mutableCopy(state: JsonObject): JsonObject {
  return deepClone(state) as JsonObject;
}

function unescapeToken(token: string): string {
  return token.replace(/~1/g, '/').replace(/~0/g, '~');
}

/** The keys of a JSON pointer; most paths have no escapes, and skipping the unescape pass is measurable on replay. */
function pointerKeys(path: string): string[] {
  const keys = path.slice(1).split('/');
  return path.includes('~') ? keys.map(unescapeToken) : keys;
}

/**
 * Applies `patch` to `previous` without changing it: only the containers on
 * the patched paths are copied, the rest is shared with `previous`. For the
 * add/replace/remove operations that diffs produce this costs the depth of
 * each path instead of a deep copy of the whole state; anything else falls
 * back to a deep copy.
 */
export function applyShared(previous: JsonObject | undefined, patch: readonly PatchOperation[]): JsonObject {
  const root: JsonObject = previous === undefined ? {} : { ...previous };
  // Created only for patches that reach below the top level.
  let copied: Set<object> | undefined;
  for (const op of patch) {
    if ((op.op !== 'add' && op.op !== 'replace' && op.op !== 'remove') || op.path === '') {
      return applyInPlace(previous === undefined ? {} : mutableCopy(previous), patch);
    }
    const path = op.path;
    if (path.indexOf('/', 1) === -1 && !path.includes('~')) {
      // A top-level member, the usual case: no pointer to walk.
      if (op.op === 'remove') delete root[path.slice(1)];
      else root[path.slice(1)] = op.value as JsonValue;
      continue;
    }
    const keys = pointerKeys(path);
    let parent: Record<string, unknown> | unknown[] = root;
    for (let i = 0; i < keys.length - 1; i++) {
      const key = keys[i]!;
      let child: unknown = Array.isArray(parent) ? parent[Number(key)] : parent[key];
      if (typeof child !== 'object' || child === null) {
        return applyInPlace(previous === undefined ? {} : mutableCopy(previous), patch);
      }
      copied ??= new Set<object>([root]);
      if (!copied.has(child)) {
        child = Array.isArray(child) ? child.slice() : { ...(child as Record<string, unknown>) };
        copied.add(child as object);
        if (Array.isArray(parent)) parent[Number(key)] = child;
        else parent[key] = child;
      }
      parent = child as Record<string, unknown> | unknown[];
    }
    const last = keys[keys.length - 1]!;
    if (Array.isArray(parent)) {
      const index = last === '-' ? parent.length : Number(last);
      if (op.op === 'add') parent.splice(index, 0, op.value);
      else if (op.op === 'replace') parent[index] = op.value;
      else parent.splice(index, 1);
    } else if (op.op === 'remove') {
      delete parent[last];
    } else {
      parent[last] = op.value;
    }
  }
  return root;
}
