/**
 * RFC 6902 patches between consecutive states, via fast-json-patch. Only the
 * patch is stored; replaying the patches from `{}` rebuilds every state.
 */
import jsonPatch from 'fast-json-patch';
import type { Operation } from 'fast-json-patch';
import type { PatchOperation } from '../domain.js';
import type { JsonObject } from '../json.js';

const { compare, applyPatch, deepClone } = jsonPatch;

/** The patch that turns `previous` (or `{}` for a new aggregate) into `next`. */
export function diffStates(previous: JsonObject | undefined, next: JsonObject): PatchOperation[] {
  return compare(previous ?? {}, next) as PatchOperation[];
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
